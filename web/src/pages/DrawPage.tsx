// A lot's draw: what will happen before it, the winner and the proof after it, and the
// proof recomputed in the player's own browser ("Verify in your browser"), plus the
// player's purchases checked against the signed ledger. The verifier code is loaded only
// when the player asks for it (and this page itself only on this route).
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { useMe, type Me } from "../auth/session";
import { FundingBar } from "../components/FundingBar";
import { ProblemAlert } from "../components/ProblemAlert";
import { DrawRandomness } from "../lots/DrawRandomness";
import { fetchMyLotEntries, myLotEntriesKey } from "../lots/api";
import { Holder, PseudonymNote, YouAppearAs, holdersOf } from "../lots/Holder";
import { formatCents } from "../lib/money";
import type { Step } from "../verify/steps";
import { StepList } from "../verify/ui/StepList";
import type { DrawReport, PurchaseCheck } from "../verify/ui/run";
import "../verify/verify.css";
import { TableScroll } from "../components/TableScroll";
import { useLiveLot } from "../live";

type Lot = components["schemas"]["LotRead"];
type Draw = components["schemas"]["DrawRead"];
// A ticket-map entry names its holder by per-lot pseudonym (`holder`) or, on lots drawn
// before pseudonyms, by `user_id`. A pseudonymous entry also says what its purchase put
// in escrow and which ledger transaction that purchase is.
type ProofEntry = { user_id?: string; holder?: string; tickets_start: number; tickets_end: number; kind?: string; amount_cents?: unknown; purchase_seq?: unknown };

/** What the entry says it paid in, as the proof gives it (unverified until the check runs: never throw on it). */
function paid(e: ProofEntry): string {
  if (e.kind === "free") return "free";
  return Number.isSafeInteger(e.amount_cents) ? formatCents(e.amount_cents as number) : "—";
}

const ledgerTx = (e: ProofEntry): string => (Number.isSafeInteger(e.purchase_seq) ? String(e.purchase_seq) : "—");

const POLL_MS = 10_000;
const loadRunner = () => import("../verify/ui/run");

function when(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

const STATUS_WORDS: Record<string, string> = {
  created: "Not open yet",
  open: "Open",
  funded: "Funded",
  drawing: "Drawn",
  settled: "Drawn and settled",
  expired: "Expired",
  refunding: "Refunding",
  closed: "Closed",
};

export default function DrawPage() {
  const { lotId = "" } = useParams();
  const me = useMe();
  // The lot's live events refetch the draw when it completes (src/live/cache.ts).
  const liveLot = useLiveLot(lotId);
  const lot = useQuery({
    queryKey: ["lot", lotId],
    queryFn: async () => unwrap(await api.GET("/api/lots/{lot_id}", { params: { path: { lot_id: lotId } } })),
  });
  const draw = useQuery({
    queryKey: ["lot", lotId, "draw"],
    queryFn: async () => unwrap(await api.GET("/api/lots/{lot_id}/draw", { params: { path: { lot_id: lotId } } })),
    // Until the proof is out (then it never changes): polled only when the lot's live
    // events cannot be had.
    refetchInterval: (query) => (query.state.data?.proof || !liveLot.polling ? false : POLL_MS),
  });

  if (lot.isPending || draw.isPending) {
    return (
      <section className="draw-page">
        <h1>Draw</h1>
        <p role="status">Loading the draw…</p>
      </section>
    );
  }
  if (lot.isError || draw.isError) {
    return (
      <section className="draw-page">
        <h1>Draw</h1>
        <ProblemAlert error={lot.error ?? draw.error} />
        <p>
          <Link to="/">Back to the lots</Link>
        </p>
      </section>
    );
  }
  const l = lot.data;
  const d = draw.data;
  const drawn = d.proof !== null;
  return (
    <section className="draw-page stack">
      <p>
        <Link to={`/lots/${l.id}`}>← Back to the lot</Link>
      </p>
      <h1>Draw: {l.title}</h1>
      <p className="row">
        <span className="badge">{STATUS_WORDS[l.status] ?? l.status}</span>
        <span className="muted">Algorithm {d.algorithm}</span>
        <span className="muted" aria-live="off">
          Updated {new Date(draw.dataUpdatedAt).toLocaleTimeString()}
          {draw.isRefetchError ? " (could not refresh: showing the last answer)" : ""}
        </span>
      </p>
      {drawn ? <Result lot={l} draw={d} me={me.data ?? null} /> : <BeforeDraw lot={l} draw={d} />}
      <Inputs lot={l} draw={d} me={me.data ?? null} />
      {drawn && <VerifyDraw lot={l} draw={d} />}
      {drawn && <MyPurchases lot={l} me={me.data ?? null} ticketMap={(d.proof as { entries?: unknown } | null)?.entries} />}
      <Offline lot={l} drawn={drawn} />
    </section>
  );
}

function BeforeDraw({ lot, draw }: { lot: Lot; draw: Draw }) {
  const beacon = (draw.draw_inputs?.beacon ?? null) as { round: number; chain_hash: string } | null;
  let what: React.ReactNode;
  switch (lot.status) {
    case "created":
      what = <p>This lot is not open yet. When it opens, a secret server seed is chosen and its commitment is published here and in the ledger, before anyone can buy a ticket.</p>;
      break;
    case "open":
      what = (
        <>
          <p>
            The lot is open until {when(lot.deadline)}. When its funding reaches {lot.funding.target}, the draw's inputs are frozen in the ledger and the winning
            ticket is drawn automatically from the server seed committed to below{d_alg(draw.algorithm)}.
          </p>
          <FundingBar bps={lot.funding.progress_bps} label="Funding" />
          <p className="muted">
            {lot.funding.funded} of {lot.funding.target} funded ({lot.funding.progress_percent}). If it is not funded by the deadline, the lot expires and every
            entrant chooses a refund.
          </p>
        </>
      );
      break;
    case "funded":
      what = beacon ? (
        <p>
          Funded {when(lot.funded_at)}. The inputs are frozen; the draw waits for drand round {beacon.round}, public randomness nobody (the operator included)
          could know when the inputs were frozen. It runs as soon as the round is published.
        </p>
      ) : (
        <p>Funded {when(lot.funded_at)}. The inputs are frozen in the ledger; the draw runs in a moment. This page updates by itself.</p>
      );
      break;
    default:
      what = <p>This lot was not funded, so there is no draw. Entrants choose a refund of their purchases.</p>;
  }
  return (
    <section aria-labelledby="before-heading" className="card">
      <h2 id="before-heading">Before the draw</h2>
      {what}
      <DrawRandomness lot={lot} />
    </section>
  );
}

const d_alg = (algorithm: string) =>
  algorithm === "alot-v2" ? " mixed with the frozen inputs (and, when there is one, a drand beacon round published after funding)" : " and the lot's public data";

function playerName(userId: string | null, me: Me | null, names: Record<string, string | undefined>): string {
  if (!userId) return "nobody";
  if (me && me.id === userId) return "you";
  return names[userId] ?? `player ${userId.slice(0, 8)}`;
}

function Result({ lot, draw, me }: { lot: Lot; draw: Draw; me: Me | null }) {
  const winnerId = draw.winner_user_id;
  const winner = useQuery({
    queryKey: ["user", winnerId],
    enabled: !!me && !!winnerId && me.id !== winnerId,
    queryFn: async () => unwrap(await api.GET("/api/users/{user_id}", { params: { path: { user_id: winnerId! } } })),
  });
  const names = winner.data ? { [winner.data.id]: winner.data.username } : {};
  const isMe = !!me && me.id === winnerId;
  return (
    <section aria-labelledby="result-heading" className="card">
      <h2 id="result-heading">The result</h2>
      <p className="draw-winner">
        Winning ticket <strong>{draw.winning_ticket}</strong> of {draw.total_tickets}, held by <strong>{playerName(winnerId, me, names)}</strong>
        {isMe ? ". You won!" : "."}
      </p>
      {draw.winner_holder && (
        <p className="muted">
          The draw proof names the winner by their pseudonym for this lot, <Holder holder={draw.winner_holder} />.
        </p>
      )}
      <p className="muted">
        Drawn {when(draw.drawn_at)}
        {draw.result_ledger_seq !== null ? `, recorded in the ledger as transaction ${draw.result_ledger_seq}` : ""}.
        {lot.status === "settled" ? " Prizes and credits have been paid." : ""}
      </p>
      {!me && <p className="muted">Log in to see the winner's username.</p>}
    </section>
  );
}

function Inputs({ lot, draw, me }: { lot: Lot; draw: Draw; me: Me | null }) {
  const proof = draw.proof as Record<string, unknown> | null;
  const entries = (proof?.entries ?? []) as ProofEntry[];
  const inputs = (draw.draw_inputs ?? null) as Record<string, unknown> | null;
  const beacon = (inputs?.beacon ?? null) as { chain_hash: string; scheme: string; round: number } | null;
  const commitment = draw.server_seed_commitment ?? lot.draw.server_seed_commitment;
  const pseudonymous = entries.some((e) => e.holder !== undefined);
  // Only the player knows their own pseudonym: it comes with their entries, not the proof.
  const mine = useQuery({
    queryKey: myLotEntriesKey(lot.id),
    enabled: !!me && pseudonymous,
    queryFn: () => fetchMyLotEntries(lot.id),
  });
  const myHolders = holdersOf(mine.data ?? []);
  const isMine = (e: ProofEntry) => (e.holder !== undefined ? myHolders.includes(e.holder) : !!me && me.id === e.user_id);
  return (
    <section aria-labelledby="inputs-heading" className="card">
      <h2 id="inputs-heading">The draw's inputs</h2>
      <PseudonymNote lot={lot} />
      <dl className="facts">
        <dt>Algorithm</dt>
        <dd>{draw.algorithm}</dd>
        <dt>Seed commitment</dt>
        <dd>
          <span className="hash">{commitment ?? "not published yet"}</span>
          {draw.commitment_ledger_seq !== null && <span className="muted"> (published when the lot opened, ledger transaction {draw.commitment_ledger_seq})</span>}
        </dd>
        <dt>Revealed server seed</dt>
        <dd className="hash">{revealedSeed(draw) ?? "secret until the lot is funded"}</dd>
        {draw.draw_inputs_hash && (
          <>
            <dt>Frozen inputs hash</dt>
            <dd>
              <span className="hash">{draw.draw_inputs_hash}</span>
              {draw.inputs_ledger_seq !== null && <span className="muted"> (ledger transaction {draw.inputs_ledger_seq}, {when(draw.frozen_at)})</span>}
            </dd>
          </>
        )}
        {typeof proof?.client_seed === "string" && (
          <>
            <dt>Client seed</dt>
            <dd className="hash">{proof.client_seed}</dd>
          </>
        )}
        {draw.algorithm === "alot-v2" && (
          <>
            <dt>Beacon</dt>
            <dd>
              {beacon
                ? `drand round ${beacon.round} (${beacon.scheme}, chain ${beacon.chain_hash.slice(0, 16)}…)`
                : drawnOrFrozen(draw)
                  ? "none"
                  : lot.draw_beacon
                    ? `a drand ${lot.draw_beacon.chain_name} round, fixed at funding`
                    : lot.beacon_less
                      ? "none (declared at opening)"
                      : "chosen at funding"}
            </dd>
          </>
        )}
        {draw.total_tickets !== null && (
          <>
            <dt>Tickets</dt>
            <dd>{draw.total_tickets}</dd>
          </>
        )}
        {draw.escrow_cents !== null && (
          <>
            <dt>Funding at the draw</dt>
            <dd>{formatCents(draw.escrow_cents)}</dd>
          </>
        )}
      </dl>
      {entries.length > 0 && (
        <>
          <h3>Ticket map</h3>
          <TableScroll label="Ticket map">
            <table className="entries-table">
              <caption className="visually-hidden">Who holds which tickets</caption>
              <thead>
                <tr>
                  <th scope="col">Tickets</th>
                  <th scope="col">{pseudonymous ? "Holder (pseudonym)" : "Holder"}</th>
                  {pseudonymous && (
                    <>
                      <th scope="col">Paid</th>
                      <th scope="col">Ledger tx</th>
                    </>
                  )}
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <tr key={`${e.tickets_start}`} className={isMine(e) ? "mine" : undefined}>
                    <td>
                      {e.tickets_start === e.tickets_end ? e.tickets_start : `${e.tickets_start}–${e.tickets_end}`}
                      {draw.winning_ticket !== null && e.tickets_start <= draw.winning_ticket && draw.winning_ticket <= e.tickets_end ? " (winner)" : ""}
                    </td>
                    <td className="hash">
                      {e.holder !== undefined ? <Holder holder={e.holder} /> : e.user_id}
                      {isMine(e) && <strong className="you-mark"> (you)</strong>}
                    </td>
                    {pseudonymous && (
                      <>
                        <td>{paid(e)}</td>
                        <td>{ledgerTx(e)}</td>
                      </>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
          {pseudonymous && <YouAppearAs holders={myHolders} />}
        </>
      )}
    </section>
  );
}

const drawnOrFrozen = (draw: Draw) => draw.stage !== "committed";

/** The server seed, public from funding on (in the freeze memo); older draws show it from the proof. */
function revealedSeed(draw: Draw): string | null {
  if (draw.server_seed) return draw.server_seed;
  const proof = draw.proof as Record<string, unknown> | null;
  return typeof proof?.server_seed === "string" ? proof.server_seed : null;
}

function verdictOf(report: DrawReport): { text: string; tone: "ok" | "error" | "info" } {
  if (report.kind === "malformed") return { text: `Not verified: the proof cannot be read (${report.message}).`, tone: "error" };
  const all: Step[] = [...report.draw.steps, ...report.publication];
  const failed = all.filter((s) => s.status === "fail").length;
  const notChecked = all.filter((s) => s.status === "not_checked").length;
  const passed = all.length - failed - notChecked;
  if (failed) {
    return {
      text: `Not verified: ${failed} of ${all.length} checks failed. The published draw does not match what your browser computed from its inputs.`,
      tone: "error",
    };
  }
  const core = `Verified: your browser recomputed the draw and got the same result, winning ticket ${report.draw.winningTicket}. ${passed} of ${all.length} checks passed`;
  return notChecked
    ? { text: `${core}; ${notChecked} could not be checked in the browser (marked "Not checked" below, with the reason).`, tone: "ok" }
    : { text: `${core}.`, tone: "ok" };
}

function VerifyDraw({ lot, draw }: { lot: Lot; draw: Draw }) {
  const [running, setRunning] = useState(false);
  const [phase, setPhase] = useState("");
  const [report, setReport] = useState<DrawReport | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function run() {
    setRunning(true);
    setError(null);
    setReport(null);
    setPhase("Loading the verifier…");
    try {
      const { verifyLotDraw } = await loadRunner();
      const result = await verifyLotDraw(
        lot.id,
        { lotCommitment: lot.draw.server_seed_commitment, recordCommitment: draw.server_seed_commitment, commitmentSeq: draw.commitment_ledger_seq },
        setPhase,
      );
      setReport(result);
      setPhase("");
    } catch (e) {
      setError(e);
      setPhase("");
    } finally {
      setRunning(false);
    }
  }
  const verdict = report ? verdictOf(report) : null;
  return (
    <section aria-labelledby="verify-heading" className="card">
      <h2 id="verify-heading">Verify in your browser</h2>
      <p>
        Your browser fetches the published proof and recomputes the draw itself, step by step, with the algorithm's public rules. Nothing is taken on trust from
        the server's answer.
      </p>
      <button type="button" onClick={run} disabled={running}>
        {running ? "Verifying…" : report ? "Verify again" : "Verify in your browser"}
      </button>
      <p role="status" className="muted">
        {running ? phase : verdict ? `Verification finished: ${verdict.tone === "ok" ? "the draw is verified" : "the draw is NOT verified"}.` : ""}
      </p>
      <ProblemAlert error={error} />
      {report && verdict && (
        <>
          <p className={`alert ${verdict.tone} verdict`} data-testid="verdict">
            {verdict.text}
          </p>
          {report.kind === "verified" && (
            <>
              <h3>The draw, recomputed</h3>
              <StepList steps={report.draw.steps} label="Draw recomputation steps" />
              <h3>The commitment, as published at opening</h3>
              <StepList steps={report.publication} label="Commitment publication checks" />
            </>
          )}
        </>
      )}
    </section>
  );
}

function MyPurchases({ lot, me, ticketMap }: { lot: Lot; me: Me | null; ticketMap: unknown }) {
  const [running, setRunning] = useState(false);
  const [phase, setPhase] = useState("");
  const [checks, setChecks] = useState<PurchaseCheck[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  if (!me) {
    return (
      <section aria-labelledby="mine-heading" className="card">
        <h2 id="mine-heading">Check my purchase is in the ledger</h2>
        <p>
          <Link to={`/login?next=${encodeURIComponent(`/lots/${lot.id}/draw`)}`}>Log in</Link> to check that your own purchases are in the signed ledger.
        </p>
      </section>
    );
  }
  async function run() {
    setRunning(true);
    setError(null);
    setChecks(null);
    setPhase("Loading the verifier…");
    try {
      const { checkMyPurchases } = await loadRunner();
      setChecks(await checkMyPurchases(lot.id, me!.id, setPhase, ticketMap));
    } catch (e) {
      setError(e);
    } finally {
      setPhase("");
      setRunning(false);
    }
  }
  const done = checks !== null;
  return (
    <section aria-labelledby="mine-heading" className="card">
      <h2 id="mine-heading">Check my purchase is in the ledger</h2>
      <p>
        Each purchase is a transaction in ALOT!'s append-only ledger. Your browser asks for its inclusion proof against the latest signed checkpoint and checks
        the proof and the checkpoint's signature itself.
      </p>
      <button type="button" className="secondary" onClick={run} disabled={running}>
        {running ? "Checking…" : "Check my purchase is in the ledger"}
      </button>
      <p role="status" className="muted">
        {running ? phase : done ? purchaseSummary(checks) : ""}
      </p>
      <ProblemAlert error={error} />
      {checks?.map((c) => (
        <article key={c.seq} className="stack" aria-labelledby={`purchase-${c.seq}`}>
          <h3 id={`purchase-${c.seq}`}>
            Your purchase of {c.tickets} (ledger transaction {c.seq})
          </h3>
          {c.outcome.kind === "not_yet" && (
            <p className="alert info">
              Not in a signed checkpoint yet{c.outcome.latest !== null ? ` (the latest covers ${c.outcome.latest} transactions)` : ""}. The ledger signs a new
              checkpoint every few minutes: try again shortly.
            </p>
          )}
          {c.outcome.kind === "error" && <ProblemAlert error={c.outcome.error} />}
          {c.outcome.kind === "checked" && (
            <>
              <p className={`alert ${purchaseOk(c) ? "ok" : "error"}`}>
                {purchaseOk(c)
                  ? `In the ledger: transaction ${c.seq} is in the signed checkpoint of ${c.outcome.check.checkpoint?.size} transactions.`
                  : `Not verified: the inclusion proof of transaction ${c.seq} does not check out.`}
              </p>
              <StepList steps={[...c.outcome.check.steps, ...(c.outcome.mine ? [c.outcome.mine] : [])]} label={`Ledger checks for transaction ${c.seq}`} />
            </>
          )}
        </article>
      ))}
    </section>
  );
}

function purchaseOk(c: PurchaseCheck): boolean {
  return c.outcome.kind === "checked" && c.outcome.check.ok && (c.outcome.mine === null || c.outcome.mine.status === "pass");
}

function purchaseSummary(checks: PurchaseCheck[]): string {
  if (!checks.length) return "You have no purchases in this lot.";
  const ok = checks.filter(purchaseOk).length;
  return `${ok} of ${checks.length} ${checks.length === 1 ? "purchase" : "purchases"} checked in the signed ledger.`;
}

function Offline({ lot, drawn }: { lot: Lot; drawn: boolean }) {
  const origin = typeof window === "undefined" ? "" : window.location.origin;
  const proofUrl = `${origin}/api/lots/${lot.id}/draw/proof`;
  return (
    <section aria-labelledby="offline-heading" className="card">
      <h2 id="offline-heading">Verify it yourself, offline</h2>
      <p>
        The same checks run in <code>alot-verify</code>, the open-source verifier for auditors (see the auditors' guide, <code>docs/auditors.md</code>, in the ALOT!
        source). {drawn ? "Run:" : "Once the lot is drawn, run:"}
      </p>
      <code className="command">pip install ./packages/alot-verify    # from a checkout of the ALOT! repository{"\n"}alot-verify draw {proofUrl}</code>
      <p>
        {drawn ? (
          <a href={`/api/lots/${lot.id}/draw/proof`}>The draw proof (JSON)</a>
        ) : (
          <a href={`/api/lots/${lot.id}/draw`}>The draw record so far (JSON)</a>
        )}{" "}
        · <a href="/docs">API documentation</a>
      </p>
    </section>
  );
}
