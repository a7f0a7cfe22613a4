// My entries: per lot, its status and my tickets; per purchase what I paid, when, the
// ledger transaction that recorded it and, for a lot in refund, my refund choice.
import { Link } from "react-router";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatCents, formatCredits } from "../../lib/money";
import {
  byLot,
  formatDateTime,
  isDrawn,
  lotStatusLabel,
  refundState,
  ticketCount,
  ticketRange,
  ticketRanges,
  timeLeft,
  type EntryRead,
} from "../../me/format";
import { MeNav } from "../../me/MeNav";
import { useEntries } from "../../me/queries";
import { ShowMore } from "../../me/ShowMore";
import "../../me/me.css";
import { TableScroll } from "../../components/TableScroll";
import { YouAppearAs, holdersOf } from "../../lots/Holder";

export default function EntriesPage() {
  const entries = useEntries();
  const items = entries.data?.pages.flatMap((page) => page.items) ?? [];
  const now = Date.now();
  const waiting = items.filter((entry) => refundState(entry, now)?.kind === "choose");

  return (
    <section aria-labelledby="entries-title">
      <MeNav />
      <h1 id="entries-title">My entries</h1>
      {entries.isPending && <p role="status">Loading your entries…</p>}
      {entries.isError && !entries.data && <ProblemAlert error={entries.error} />}
      {waiting.length > 0 && (
        <p className="alert info" role="status">
          <strong>
            {waiting.length === 1
              ? "1 purchase needs your refund choice."
              : `${waiting.length} purchases need your refund choice.`}
          </strong>{" "}
          A lot you entered did not fund in time: choose cash or credits below.
        </p>
      )}
      {entries.data && items.length === 0 && (
        <p>
          You have no entries yet. <Link to="/">Find a lot</Link> to enter.
        </p>
      )}
      {items.length > 0 && (
        <ul className="me-lots">
          {byLot(items).map((group) => (
            <LotEntries key={group.lotId} entries={group.entries} now={now} />
          ))}
        </ul>
      )}
      <ShowMore pages={entries} what="entries" />
    </section>
  );
}

function LotEntries({ entries, now }: { entries: [EntryRead, ...EntryRead[]]; now: number }) {
  const lot = entries[0];
  const tickets = entries.reduce((sum, entry) => sum + entry.ticket_count, 0);
  const titleId = `lot-${lot.lot_id}`;
  const refunds = entries.some((entry) => refundState(entry, now) !== null);
  return (
    <li className="card me-lot">
      <header>
        <h2 id={titleId}>
          <Link to={`/lots/${lot.lot_id}`}>{lot.lot_title}</Link>
        </h2>
        <span className={`badge status-${lot.lot_status}`}>{lotStatusLabel(lot.lot_status)}</span>
      </header>
      <p>
        Your tickets ({ticketCount(tickets)}): <span className="me-tickets">{ticketRanges(entries)}</span>
        {entries.some((entry) => entry.is_winner) && <strong> · Winner!</strong>}
      </p>
      <YouAppearAs holders={holdersOf(entries)} />
      <p className="links">
        <Link to={`/lots/${lot.lot_id}`}>Lot page</Link>
        {isDrawn(lot.lot_status) && <Link to={`/lots/${lot.lot_id}/draw`}>See the draw and verify it</Link>}
      </p>
      <TableScroll label={`Your purchases in ${lot.lot_title}`} className="me-purchases">
        <table>
          <caption className="visually-hidden">Your purchases in {lot.lot_title}</caption>
          <thead>
            <tr>
              <th scope="col">Tickets</th>
              <th scope="col">Paid</th>
              <th scope="col">Bought</th>
              <th scope="col">Ledger seq</th>
              {refunds && <th scope="col">Refund</th>}
            </tr>
          </thead>
          <tbody>
            {entries.map((entry) => (
              <tr key={entry.id}>
                <td>{ticketRange(entry.tickets_start, entry.tickets_end)}</td>
                <td>{paid(entry)}</td>
                <td>{formatDateTime(entry.created_at)}</td>
                <td className="mono">{entry.ledger_seq ?? "pending"}</td>
                {refunds && (
                  <td className="wrap">
                    <RefundCell entry={entry} now={now} />
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </li>
  );
}

function paid(entry: EntryRead): string {
  const parts = [];
  if (entry.amount_paid_cents > 0) parts.push(`${formatCents(entry.amount_paid_cents)} cash`);
  if (entry.spent_credits > 0) parts.push(formatCredits(entry.spent_credits));
  return parts.join(" + ") || formatCents(0);
}

function RefundCell({ entry, now }: { entry: EntryRead; now: number }) {
  const state = refundState(entry, now);
  const tickets = ticketRange(entry.tickets_start, entry.tickets_end);
  const to = `/purchases/${entry.purchase_id}/refund`;
  if (state === null) return null;
  switch (state.kind) {
    case "choose": {
      const left = state.deadline ? timeLeft(state.deadline, now) : null;
      return (
        <>
          <Link to={to} className="button small">
            Choose your refund<span className="visually-hidden"> for tickets {tickets}</span>
          </Link>
          {left && <div className="muted">{left} left to choose</div>}
        </>
      );
    }
    case "closed":
      return (
        <>
          Choice closed: refunded in cash soon. <Link to={to}>Details<span className="visually-hidden"> for tickets {tickets}</span></Link>
        </>
      );
    case "automatic":
      return <>{formatCredits(entry.refunded_credits ?? entry.spent_credits)} returned</>;
    case "chosen": {
      const what =
        state.choice === "cash"
          ? entry.refunded_cents !== null
            ? `${formatCents(entry.refunded_cents)} in cash`
            : "cash"
          : entry.refunded_credits !== null
            ? formatCredits(entry.refunded_credits)
            : "credits";
      return (
        <>
          {state.done ? `Refunded: ${what}` : `You chose ${what}: on its way`}{" "}
          <Link to={to}>
            Details<span className="visually-hidden"> for tickets {tickets}</span>
          </Link>
        </>
      );
    }
  }
}
