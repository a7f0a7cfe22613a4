// The host's dashboard: its status and the last review's reason, its profile (editable),
// and its lots with their review and sales figures.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, Navigate } from "react-router";
import { api, unwrap } from "../../api/client";
import { ProblemAlert } from "../../components/ProblemAlert";
import { TableScroll } from "../../components/TableScroll";
import { fetchMyHost, HOST_KEY, HOST_STATUS_WORDS, REVIEW_WORDS, type HostLot } from "../../host/api";
import { HostNav } from "../../host/HostNav";
import { ProfileForm, type Application } from "../../host/ProfileForm";
import { formatBps, formatCents } from "../../lib/money";

function LotRow({ item }: { item: HostLot }) {
  const lot = item.lot;
  return (
    <tr>
      <td>
        <Link to={`/host/lots/${lot.id}`}>{lot.title}</Link>
        {lot.visibility === "private" && <span className="muted"> (private)</span>}
      </td>
      <td>{lot.status}</td>
      <td>{REVIEW_WORDS[item.review_status] ?? item.review_status}</td>
      <td>{lot.tickets_sold}</td>
      <td>
        {formatCents(lot.funding.funded_cents)} of {formatCents(lot.funding.target_cents)}
      </td>
      <td>{formatCents(item.economics.host_share_cents)}</td>
    </tr>
  );
}

export default function HostHomePage() {
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState(false);
  const mine = useQuery({ queryKey: HOST_KEY, queryFn: fetchMyHost });
  const lots = useQuery({
    queryKey: ["host", "lots"],
    queryFn: async () => unwrap(await api.GET("/api/hosts/me/lots", { params: { query: { limit: 100 } } })),
    enabled: Boolean(mine.data),
  });
  const update = useMutation({
    mutationFn: async (body: Application) => unwrap(await api.PATCH("/api/hosts/me", { body })),
    onSuccess: (host) => {
      queryClient.setQueryData(HOST_KEY, host);
      setEditing(false);
    },
  });

  if (mine.isPending) return <p role="status">Loading…</p>;
  if (mine.isError) return <ProblemAlert error={mine.error} />;
  const host = mine.data;
  if (!host) return <Navigate to="/host/apply" replace />;

  return (
    <section aria-labelledby="host-title" className="stack">
      <h1 id="host-title">{host.display_name}</h1>
      <HostNav />
      <section className="card stack" aria-labelledby="host-status-title">
        <h2 id="host-status-title">Status: {host.status}</h2>
        <p>{HOST_STATUS_WORDS[host.status]}</p>
        {host.status_reason && <p>Reason given: {host.status_reason}</p>}
        <p>
          ALOT!'s commission on your lots: <strong>{formatBps(host.commission_bps)}</strong> of the funded value. Lots
          created: {host.stats.lots_created}, funded: {host.stats.lots_funded}.
        </p>
        {host.status === "approved" && (
          <p>
            <Link to="/host/lots/new" className="button">
              Create a lot
            </Link>{" "}
            <Link to={`/hosts/${host.id}`}>Your public page</Link>
          </p>
        )}
      </section>

      <section aria-labelledby="host-lots-title" className="stack">
        <h2 id="host-lots-title">Your lots</h2>
        {lots.isPending && <p role="status">Loading your lots…</p>}
        <ProblemAlert error={lots.error} />
        {lots.data && lots.data.items.length === 0 && <p>No lots yet.</p>}
        {lots.data && lots.data.items.length > 0 && (
          <TableScroll label="Your lots">
            <table className="admin-table">
              <thead>
                <tr>
                  <th scope="col">Lot</th>
                  <th scope="col">Status</th>
                  <th scope="col">Review</th>
                  <th scope="col">Tickets sold</th>
                  <th scope="col">Funded</th>
                  <th scope="col">Your share at target</th>
                </tr>
              </thead>
              <tbody>
                {lots.data.items.map((item) => (
                  <LotRow key={item.lot.id} item={item} />
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </section>

      <section aria-labelledby="host-profile-title" className="stack">
        <h2 id="host-profile-title">Your profile</h2>
        {editing ? (
          <ProfileForm
            initial={host as unknown as Application}
            submitLabel={host.status === "rejected" ? "Apply again" : "Save profile"}
            busy={update.isPending}
            error={update.error}
            onSubmit={(body) => update.mutate(body)}
          />
        ) : (
          <>
            <dl className="facts">
              <dt>Country</dt>
              <dd>{host.country}</dd>
              <dt>Website</dt>
              <dd>{host.website_url ?? "—"}</dd>
              <dt>Description</dt>
              <dd>{host.description ?? "—"}</dd>
            </dl>
            <div>
              <button type="button" className="secondary" onClick={() => setEditing(true)}>
                Edit profile
              </button>
            </div>
          </>
        )}
      </section>
    </section>
  );
}
