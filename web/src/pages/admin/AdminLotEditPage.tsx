import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { ProblemAlert } from "../../components/ProblemAlert";
import { Field } from "../../components/Field";
import { FundingBar } from "../../components/FundingBar";
import { formatCents } from "../../lib/money";
import { ConfirmDialog } from "../../admin/ConfirmDialog";
import { formatMoment, isoToLocalInput, localInputToIso, localZoneName } from "../../admin/datetime";
import { LotForm, type LotBody } from "../../admin/LotForm";
import { PostalEntryForm } from "../../admin/PostalEntryForm";
import { AdminProblem, Crumbs, StatusBadge } from "../../admin/parts";

type Action = "open" | "extend" | "refunds" | "draw" | "settle";

export default function AdminLotEditPage() {
  const { lotId } = useParams();
  return lotId ? <LotDesk lotId={lotId} key={lotId} /> : <NewLot />;
}

function NewLot() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const create = useMutation({
    mutationFn: async (body: LotBody) => unwrap(await api.POST("/api/lots", { body })),
    onSuccess: (lot) => {
      queryClient.setQueryData(["admin", "lot", lot.id], lot);
      void queryClient.invalidateQueries({ queryKey: ["admin", "lots"] });
      navigate(`/admin/lots/${lot.id}`, { state: { created: true } });
    },
  });
  return (
    <section aria-labelledby="new-lot-title" className="stack">
      <Crumbs
        trail={[
          { to: "/admin/lots", label: "Lots" },
          { to: "/admin/lots/new", label: "New lot" },
        ]}
      />
      <h1 id="new-lot-title">Create a lot</h1>
      <p className="muted">A new lot is “created”: players can't see it until you open it, and you can edit it until then.</p>
      <LotForm busy={create.isPending} error={create.error} submitLabel="Create lot" onSubmit={(body) => create.mutate(body)} />
    </section>
  );
}

function LotDesk({ lotId }: { lotId: string }) {
  const queryClient = useQueryClient();
  const key = ["admin", "lot", lotId];
  const lot = useQuery({
    queryKey: key,
    queryFn: async () => unwrap(await api.GET("/api/lots/{lot_id}", { params: { path: { lot_id: lotId } } })),
  });
  const status = lot.data?.status;
  const refunds = useQuery({
    queryKey: ["admin", "lot", lotId, "refunds"],
    queryFn: async () =>
      unwrap(await api.GET("/api/admin/lots/{lot_id}/refunds", { params: { path: { lot_id: lotId } } })),
    enabled: status === "expired" || status === "refunding" || status === "closed",
  });

  const [pending, setPending] = useState<Action | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [newDeadline, setNewDeadline] = useState("");
  const [deadlineError, setDeadlineError] = useState<string | undefined>();
  const [reason, setReason] = useState("");
  const [reasonError, setReasonError] = useState<string | undefined>();

  const refresh = () => {
    void queryClient.invalidateQueries({ queryKey: key });
    void queryClient.invalidateQueries({ queryKey: ["admin", "lots"] });
    void queryClient.invalidateQueries({ queryKey: ["admin", "overview"] });
  };

  const edit = useMutation({
    mutationFn: async (body: LotBody) => {
      const { trivia_answer, ...rest } = body;
      const changes = trivia_answer.trim() ? body : rest;
      return unwrap(await api.PATCH("/api/lots/{lot_id}", { params: { path: { lot_id: lotId } }, body: changes }));
    },
    onSuccess: (updated) => {
      queryClient.setQueryData(key, updated);
      setNotice("Changes saved.");
      refresh();
    },
  });

  const act = useMutation({
    mutationFn: async (action: Action): Promise<string> => {
      const path = { params: { path: { lot_id: lotId } } };
      switch (action) {
        case "open":
          unwrap(await api.POST("/api/admin/lots/{lot_id}/open", path));
          return "The lot is open: its draw commitment is in the ledger and tickets are on sale.";
        case "extend": {
          const extended = unwrap(
            await api.POST("/api/admin/lots/{lot_id}/extend", {
              ...path,
              body: { deadline: localInputToIso(newDeadline) ?? "", reason: reason.trim() },
            }),
          );
          queryClient.setQueryData(key, extended);
          setNewDeadline("");
          setReason("");
          return `The deadline is now ${formatMoment(extended.deadline)}; the lot keeps selling. The change and its reason are in the ledger.`;
        }
        case "refunds": {
          const progress = unwrap(await api.POST("/api/admin/lots/{lot_id}/refunds", path));
          queryClient.setQueryData(["admin", "lot", lotId, "refunds"], progress);
          return progress.lot_status === "closed"
            ? "Refunds are done: nothing was left to refund, so the lot is closed."
            : "Refunds started: credits spent are back, and each buyer is emailed how to choose their refund.";
        }
        case "draw":
          unwrap(await api.POST("/api/admin/lots/{lot_id}/draw", path));
          return "The winner is drawn. Settle the lot to record the prize and the credits.";
        case "settle":
          unwrap(await api.POST("/api/admin/lots/{lot_id}/settle", path));
          return "The lot is settled.";
      }
    },
    onSuccess: (message) => {
      setNotice(message);
      setPending(null);
      refresh();
      void queryClient.invalidateQueries({ queryKey: ["admin", "lot", lotId, "refunds"] });
    },
  });

  const ask = (action: Action) => {
    act.reset();
    setNotice(null);
    setPending(action);
  };

  if (lot.isPending) return <p role="status">Loading…</p>;
  if (lot.isError) {
    return (
      <section className="stack">
        <Crumbs trail={[{ to: "/admin/lots", label: "Lots" }]} />
        <h1>Lot</h1>
        <ProblemAlert error={lot.error} />
      </section>
    );
  }
  const data = lot.data;

  function askExtend(event: FormEvent) {
    event.preventDefault();
    const iso = localInputToIso(newDeadline);
    let deadlineProblem: string | undefined;
    if (!iso) deadlineProblem = "Choose a date and time.";
    else if (new Date(iso).getTime() <= Date.now()) deadlineProblem = "The new deadline must be in the future.";
    else if (new Date(iso).getTime() <= new Date(data.deadline).getTime()) {
      deadlineProblem = `The new deadline must be later than the current one (${formatMoment(data.deadline)}).`;
    }
    const reasonProblem = reason.trim() ? undefined : "Say why the deadline moves: it is recorded with the change.";
    setDeadlineError(deadlineProblem);
    setReasonError(reasonProblem);
    if (deadlineProblem || reasonProblem) return;
    ask("extend");
  }

  const dialogs: Record<Action, { title: string; confirm: string; body: React.ReactNode }> = {
    open: {
      title: "Open this lot?",
      confirm: "Open lot",
      body: (
        <>
          <p>
            “{data.title}” goes on sale at once{data.visibility === "public" ? " and appears on the public list" : ""}. Its
            server seed is committed in the public ledger, so the lot can't be edited afterwards.
          </p>
          <p>
            Deadline: <strong>{formatMoment(data.deadline)}</strong>; target {formatCents(data.funding.target_cents)}.
          </p>
        </>
      ),
    },
    extend: {
      title: "Extend this lot's deadline?",
      confirm: "Extend deadline",
      body: (
        <>
          <p>
            “{data.title}” keeps selling until <strong>{newDeadline ? formatMoment(localInputToIso(newDeadline)) : ""}</strong>{" "}
            (it was {formatMoment(data.deadline)}).
          </p>
          <p>
            Reason: “{reason.trim()}”. The change, its reason and your account are recorded in the ledger; the deadline
            can move later again, never earlier.
          </p>
        </>
      ),
    },
    refunds: {
      title: "Start refunds now?",
      confirm: "Start refunds",
      body: (
        <>
          <p>
            The deadline of “{data.title}” has passed. Its refunds start by themselves at the scheduler's next run; this
            starts them now. Credits spent on it go back to their players at once; each buyer is emailed the choice of 98%
            back in cash or 1.5× in credits, within the refund window.
          </p>
          <p>{data.tickets_sold} tickets were sold.</p>
        </>
      ),
    },
    draw: {
      title: "Draw the winner now?",
      confirm: "Draw now",
      body: (
        <p>
          The winning ticket of “{data.title}” is drawn now from its {data.tickets_sold} tickets, and the proof is
          published. The result is final.
        </p>
      ),
    },
    settle: {
      title: "Settle this lot now?",
      confirm: "Settle now",
      body: (
        <p>
          The prize of “{data.title}” is assigned to its winner and the other players' credits are recorded in the ledger.
          This can't be undone.
        </p>
      ),
    },
  };
  const dialog = pending ? dialogs[pending] : null;
  const pastDeadline = new Date(data.deadline).getTime() <= Date.now();

  return (
    <section aria-labelledby="lot-title" className="stack">
      <Crumbs
        trail={[
          { to: "/admin/lots", label: "Lots" },
          { to: `/admin/lots/${data.id}`, label: data.title },
        ]}
      />
      <h1 id="lot-title">{data.title}</h1>
      <p className="row">
        <span>
          Status: <StatusBadge status={data.status} />
        </span>
        {data.status !== "created" && <Link to={`/lots/${data.id}`}>Player's view</Link>}
      </p>
      {notice && (
        <p role="status" className="alert ok">
          {notice}
        </p>
      )}

      <div className="card">
        <FundingBar bps={data.funding.progress_bps} label="Funding" />
        <dl className="facts" style={{ marginTop: "0.75rem" }}>
          <dt>Funded</dt>
          <dd>
            {formatCents(data.funding.funded_cents)} of {formatCents(data.funding.target_cents)} (
            {data.funding.progress_percent}%)
          </dd>
          <dt>Tickets sold</dt>
          <dd>{data.tickets_sold}</dd>
          <dt>Deadline</dt>
          <dd>{formatMoment(data.deadline)}</dd>
          <dt>Prize</dt>
          <dd>
            {data.product?.name ?? "hidden"} ({formatCents(data.retail_value_cents)}, {data.tier})
          </dd>
          <dt>Bundles</dt>
          <dd>{data.entry_bundles.map((b) => `${b.tickets} for ${formatCents(b.price_cents)}`).join(" · ")}</dd>
          <dt>Draw</dt>
          <dd>
            {data.draw.algorithm}
            {data.draw.server_seed_commitment && (
              <>
                , commitment <code>{data.draw.server_seed_commitment.slice(0, 16)}…</code> (ledger #
                {data.draw.commitment_ledger_seq})
              </>
            )}
          </dd>
          <dt>Visibility</dt>
          <dd>{data.visibility}</dd>
        </dl>
      </div>

      <h2>Actions</h2>
      <div className="actions">
        {data.status === "created" && (
          <section className="card" aria-labelledby="act-open">
            <h3 id="act-open">Open</h3>
            <p className="muted">Publish the draw commitment and start selling.</p>
            <button type="button" onClick={() => ask("open")} disabled={act.isPending}>
              Open lot…
            </button>
          </section>
        )}
        {data.status === "open" && !pastDeadline && (
          <>
            <section className="card" aria-labelledby="act-running">
              <h3 id="act-running">Selling</h3>
              <p className="muted">
                Nothing to do while it sells: it draws by itself once funded. If it is unfunded at its deadline, it expires
                and its refunds start by themselves, each buyer emailed the choice.
              </p>
            </section>
            <section className="card" aria-labelledby="act-postal">
              <h3 id="act-postal">Postal free entry</h3>
              <p className="muted">
                A free entry received by post (no purchase necessary): one ticket, the same odds as a paid one, one per
                player per lot{data.free_entry_period_days ? ` every ${data.free_entry_period_days} days` : ""}.
              </p>
              <PostalEntryForm lotId={data.id} />
            </section>
            <section className="card" aria-labelledby="act-extend">
              <h3 id="act-extend">Extend the deadline</h3>
              <form onSubmit={askExtend} noValidate>
                <Field
                  label="New deadline"
                  type="datetime-local"
                  step={1}
                  value={newDeadline}
                  min={isoToLocalInput(data.deadline)}
                  onChange={(e) => setNewDeadline(e.target.value)}
                  error={deadlineError}
                  hint={`later than the current one, in your time zone (${localZoneName()})`}
                />
                <Field
                  label="Reason"
                  value={reason}
                  maxLength={500}
                  onChange={(e) => setReason(e.target.value)}
                  error={reasonError}
                  hint="why it moves, recorded in the ledger with the change"
                />
                <div>
                  <button type="submit" disabled={act.isPending}>
                    Extend…
                  </button>
                </div>
              </form>
            </section>
          </>
        )}
        {((data.status === "open" && pastDeadline) || data.status === "expired") && (
          <section className="card" aria-labelledby="act-refunds">
            <h3 id="act-refunds">Refunds</h3>
            <p className="muted">
              The deadline has passed: the lot sells nothing more and can't be extended. The scheduler expires it and
              starts its refunds by itself at its next run; start them now only if you can't wait.
            </p>
            <button type="button" className="danger" onClick={() => ask("refunds")} disabled={act.isPending}>
              Start refunds now…
            </button>
          </section>
        )}
        {data.status === "funded" && (
          <section className="card" aria-labelledby="act-draw">
            <h3 id="act-draw">Draw</h3>
            <p className="muted">The scheduler draws funded lots by itself; draw now to not wait.</p>
            <button type="button" onClick={() => ask("draw")} disabled={act.isPending}>
              Draw now…
            </button>
          </section>
        )}
        {data.status === "drawing" && (
          <section className="card" aria-labelledby="act-settle">
            <h3 id="act-settle">Settle</h3>
            <p className="muted">The winner is drawn; settling records the prize and the credits.</p>
            <button type="button" onClick={() => ask("settle")} disabled={act.isPending}>
              Settle now…
            </button>
          </section>
        )}
        {(data.status === "drawing" || data.status === "settled") && (
          <section className="card" aria-labelledby="act-result">
            <h3 id="act-result">Draw result</h3>
            <p>
              <Link to={`/lots/${data.id}/draw`}>The draw, its proof and verification</Link>
            </p>
          </section>
        )}
        {(data.status === "refunding" || data.status === "closed" || data.status === "expired") && (
          <section className="card" aria-labelledby="act-refund-status">
            <h3 id="act-refund-status">Refund progress</h3>
            {refunds.isPending && <p role="status">Loading…</p>}
            <ProblemAlert error={refunds.error} />
            {refunds.data && (
              <dl className="facts">
                <dt>Lot</dt>
                <dd>{refunds.data.lot_status}</dd>
                <dt>Choice closes</dt>
                <dd>{formatMoment(refunds.data.refund_choice_deadline)}</dd>
                {Object.entries(refunds.data.purchases).map(([purchaseStatus, count]) => (
                  <div key={purchaseStatus} style={{ display: "contents" }}>
                    <dt>Purchases {purchaseStatus}</dt>
                    <dd>{count}</dd>
                  </div>
                ))}
                {Object.keys(refunds.data.purchases).length === 0 && (
                  <>
                    <dt>Purchases</dt>
                    <dd>none</dd>
                  </>
                )}
              </dl>
            )}
          </section>
        )}
      </div>

      {data.status === "created" && (
        <section aria-labelledby="edit-title" className="card">
          <h2 id="edit-title" style={{ marginTop: 0 }}>
            Edit
          </h2>
          <LotForm
            lot={data}
            key={data.id}
            busy={edit.isPending}
            error={edit.error}
            submitLabel="Save changes"
            onSubmit={(body) => {
              setNotice(null);
              edit.mutate(body);
            }}
          />
        </section>
      )}
      <AdminProblem error={act.isError && !pending ? act.error : null} />

      <ConfirmDialog
        open={dialog !== null}
        title={dialog?.title ?? ""}
        confirmLabel={dialog?.confirm ?? ""}
        danger={pending === "refunds"}
        busy={act.isPending}
        error={act.error}
        onConfirm={() => pending && act.mutate(pending)}
        onCancel={() => setPending(null)}
      >
        {dialog?.body}
      </ConfirmDialog>
    </section>
  );
}
