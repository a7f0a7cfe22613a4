// Hosts and their lots under review: applications approved (with a commission) or
// rejected, hosts suspended and reinstated, each with a reason emailed to the host; and
// host lots pending review, approved (which opens them) or rejected with a reason.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { ConfirmDialog } from "../../admin/ConfirmDialog";
import { SelectField } from "../../admin/fields";
import { Crumbs, PagedTable, useCursorPages } from "../../admin/parts";
import { Field } from "../../components/Field";
import { formatBps, formatCents } from "../../lib/money";

type Host = components["schemas"]["HostAdminRead"];
type HostLot = components["schemas"]["HostLotRead"];
type Action = "approve" | "reject" | "suspend" | "reinstate" | "commission";
type LotAction = "approve" | "reject";

const ACTIONS: Record<string, Action[]> = {
  pending: ["approve", "reject"],
  approved: ["suspend", "commission"],
  suspended: ["reinstate"],
  rejected: [],
};
const STATUSES = ["pending", "approved", "suspended", "rejected"] as const;
const LABELS: Record<Action, string> = {
  approve: "Approve",
  reject: "Reject",
  suspend: "Suspend",
  reinstate: "Reinstate",
  commission: "Change commission",
};

export default function HostsPage() {
  const queryClient = useQueryClient();
  const pages = useCursorPages();
  const [status, setStatus] = useState<string>("pending");
  const [review, setReview] = useState<{ host: Host; action: Action } | null>(null);
  const [lotReview, setLotReview] = useState<{ item: HostLot; action: LotAction } | null>(null);
  const [reason, setReason] = useState("");
  const [commission, setCommission] = useState("");
  const [notice, setNotice] = useState<string | null>(null);

  const hosts = useQuery({
    queryKey: ["admin", "hosts", status, pages.cursor],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/admin/hosts", {
          params: { query: { status: status as Host["status"], limit: 25, cursor: pages.cursor } },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const queue = useQuery({
    queryKey: ["admin", "host-lots", "pending"],
    queryFn: async () =>
      unwrap(await api.GET("/api/admin/host-lots", { params: { query: { review_status: "pending", limit: 100 } } })),
  });

  const act = useMutation({
    mutationFn: async ({ host, action }: { host: Host; action: Action }) => {
      const path = { params: { path: { host_id: host.id } } };
      if (action === "approve") {
        const bps = commission.trim() ? Math.round(Number(commission) * 100) : null;
        return unwrap(await api.POST("/api/admin/hosts/{host_id}/approve", { ...path, body: { reason, commission_bps: bps } }));
      }
      if (action === "commission") {
        const bps = Math.round(Number(commission) * 100);
        return unwrap(await api.POST("/api/admin/hosts/{host_id}/commission", { ...path, body: { reason, commission_bps: bps } }));
      }
      const url = `/api/admin/hosts/{host_id}/${action}` as "/api/admin/hosts/{host_id}/reject";
      return unwrap(await api.POST(url, { ...path, body: { reason } }));
    },
    onSuccess: (host) => {
      setNotice(
        review?.action === "commission"
          ? `${host.display_name}'s commission is now ${formatBps(host.commission_bps)} (lots not yet open).`
          : `${host.display_name} is now ${host.status}.`,
      );
      setReview(null);
      void queryClient.invalidateQueries({ queryKey: ["admin", "hosts"] });
    },
  });
  const actOnLot = useMutation({
    mutationFn: async ({ item, action }: { item: HostLot; action: LotAction }) => {
      const path = { params: { path: { lot_id: item.lot.id } } };
      if (action === "approve")
        return unwrap(await api.POST("/api/admin/lots/{lot_id}/approve", { ...path, body: { reason: reason || null } }));
      return unwrap(await api.POST("/api/admin/lots/{lot_id}/reject", { ...path, body: { reason } }));
    },
    onSuccess: (lot) => {
      setNotice(lot.status === "open" ? `${lot.title} is approved and open.` : `${lot.title} was rejected.`);
      setLotReview(null);
      void queryClient.invalidateQueries({ queryKey: ["admin", "host-lots"] });
    },
  });

  function open(host: Host, action: Action) {
    act.reset();
    setReason("");
    setCommission("");
    setNotice(null);
    setReview({ host, action });
  }
  function openLot(item: HostLot, action: LotAction) {
    actOnLot.reset();
    setReason("");
    setNotice(null);
    setLotReview({ item, action });
  }

  return (
    <section aria-labelledby="hosts-title" className="stack">
      <Crumbs trail={[{ to: "/admin/hosts", label: "Hosts" }]} />
      <h1 id="hosts-title">Hosts</h1>
      {notice && (
        <p role="status" className="alert ok">
          {notice}
        </p>
      )}

      <h2>Host lots pending review</h2>
      {queue.data && queue.data.items.length === 0 && <p>No host lot is waiting for review.</p>}
      {queue.data && queue.data.items.length > 0 && (
        <ul className="stack" style={{ listStyle: "none", padding: 0 }} aria-label="Host lots pending review">
          {queue.data.items.map((item) => (
            <li key={item.lot.id} className="card">
              <p style={{ margin: 0 }}>
                <strong>{item.lot.title}</strong> by {item.lot.host?.display_name} — prize{" "}
                {item.lot.product?.name} ({formatCents(item.lot.retail_value_cents)}), target{" "}
                {formatCents(item.lot.funding.target_cents)}, commission {formatBps(item.economics.commission_bps)},{" "}
                {item.lot.visibility}
              </p>
              <p style={{ margin: "0.5rem 0 0" }}>
                <button type="button" className="small" onClick={() => openLot(item, "approve")} aria-label={`Approve lot ${item.lot.title}`}>
                  Approve and open
                </button>{" "}
                <button
                  type="button"
                  className="secondary small"
                  onClick={() => openLot(item, "reject")}
                  aria-label={`Reject lot ${item.lot.title}`}
                >
                  Reject
                </button>
              </p>
            </li>
          ))}
        </ul>
      )}

      <h2>Hosts</h2>
      <SelectField
        label="Status"
        value={status}
        onChange={(e) => {
          setStatus(e.target.value);
          pages.reset();
        }}
        options={STATUSES.map((s) => ({ value: s, label: s }))}
      />
      <PagedTable
        label="Hosts"
        query={hosts}
        pages={pages}
        caption="Newest application first"
        columns={["Host", "Account", "Country", "Commission", "Last reason", "Actions"]}
        empty="No hosts with this status."
        row={(host) => (
          <tr key={host.id}>
            <td className="wrap">
              {host.status === "approved" ? <Link to={`/hosts/${host.id}`}>{host.display_name}</Link> : host.display_name}
              <br />
              <span className="muted">
                {String(host.business_details.legal_name ?? "")} · {String(host.business_details.registration_number ?? "")}
              </span>
            </td>
            <td>{host.username}</td>
            <td>{host.country}</td>
            <td>{formatBps(host.commission_bps)}</td>
            <td className="wrap">{host.status_reason ?? "—"}</td>
            <td>
              {(ACTIONS[host.status] ?? []).map((action) => (
                <button
                  key={action}
                  type="button"
                  className="secondary small"
                  onClick={() => open(host, action)}
                  aria-label={`${LABELS[action]} ${host.display_name}`}
                >
                  {LABELS[action]}
                </button>
              ))}
            </td>
          </tr>
        )}
      />

      <ConfirmDialog
        open={review !== null}
        title={review ? `${LABELS[review.action]} ${review.host.display_name}?` : ""}
        confirmLabel={review ? LABELS[review.action] : "OK"}
        danger={review?.action === "reject" || review?.action === "suspend"}
        busy={act.isPending}
        error={act.error}
        onConfirm={() => review && reason.trim() && act.mutate(review)}
        onCancel={() => setReview(null)}
      >
        <Field label="Reason (emailed to the host)" value={reason} onChange={(e) => setReason(e.target.value)} required maxLength={500} />
        {(review?.action === "approve" || review?.action === "commission") && (
          <Field
            label="Commission (%)"
            value={commission}
            onChange={(e) => setCommission(e.target.value)}
            inputMode="decimal"
            hint={
              review?.action === "approve"
                ? "Leave blank for the platform's default"
                : "Applies to its lots not yet open; open lots keep theirs"
            }
          />
        )}
        {review?.action === "suspend" && (
          <p>Its open lots stop selling until it is reinstated; they expire and are refunded at their deadline.</p>
        )}
      </ConfirmDialog>

      <ConfirmDialog
        open={lotReview !== null}
        title={lotReview ? `${lotReview.action === "approve" ? "Approve and open" : "Reject"} ${lotReview.item.lot.title}?` : ""}
        confirmLabel={lotReview?.action === "approve" ? "Approve and open" : "Reject lot"}
        danger={lotReview?.action === "reject"}
        busy={actOnLot.isPending}
        error={actOnLot.error}
        onConfirm={() => lotReview && (lotReview.action === "approve" || reason.trim()) && actOnLot.mutate(lotReview)}
        onCancel={() => setLotReview(null)}
      >
        <Field
          label={lotReview?.action === "approve" ? "Note to the host (optional)" : "Reason (emailed to the host)"}
          value={reason}
          onChange={(e) => setReason(e.target.value)}
          maxLength={500}
        />
      </ConfirmDialog>
    </section>
  );
}
