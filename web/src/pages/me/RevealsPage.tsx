// My results: per lot I entered, won / lost / refunded, and what that meant for me.
import { Link } from "react-router";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatCents, formatCredits } from "../../lib/money";
import { formatDateTime, isDrawn, revealStatusLabel, ticketCount, type RevealRead } from "../../me/format";
import { MeNav } from "../../me/MeNav";
import { useReveals } from "../../me/queries";
import { ShowMore } from "../../me/ShowMore";
import "../../me/me.css";

export default function RevealsPage() {
  const reveals = useReveals();
  const items = reveals.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section aria-labelledby="results-title">
      <MeNav />
      <h1 id="results-title">My results</h1>
      {reveals.isPending && <p role="status">Loading your results…</p>}
      {reveals.isError && !reveals.data && <ProblemAlert error={reveals.error} />}
      {reveals.data && items.length === 0 && (
        <p>
          No results yet: they appear here once you enter a lot. <Link to="/">Find a lot</Link>.
        </p>
      )}
      {items.length > 0 && (
        <ul className="me-lots">
          {items.map((reveal) => (
            <Result key={reveal.id} reveal={reveal} />
          ))}
        </ul>
      )}
      <ShowMore pages={reveals} what="results" />
    </section>
  );
}

function Result({ reveal }: { reveal: RevealRead }) {
  const won = ["won", "claimed", "shipped", "delivered", "disputed"].includes(reveal.status);
  const result = won ? "won" : reveal.status;
  return (
    <li className="card me-lot">
      <header>
        <h2>
          <Link to={`/lots/${reveal.lot_id}`}>{reveal.lot_title}</Link>
        </h2>
        <span className={`badge result-${result}`}>{revealStatusLabel(reveal.status)}</span>
      </header>
      <p>{meaning(reveal, won)}</p>
      <dl className="facts">
        <dt>Prize</dt>
        <dd>
          {reveal.prize_name} (retail value {formatCents(reveal.prize_retail_value_cents)})
        </dd>
        <dt>Your tickets</dt>
        <dd>{ticketCount(reveal.tickets)}</dd>
        {reveal.revealed_at && (
          <>
            <dt>Decided</dt>
            <dd>{formatDateTime(reveal.revealed_at)}</dd>
          </>
        )}
      </dl>
      <p className="links">
        {won && <Link to={`/me/reveals/${reveal.id}`}>{prizeAction(reveal)}</Link>}
        {isDrawn(reveal.lot_status) && <Link to={`/lots/${reveal.lot_id}/draw`}>See the draw and verify it</Link>}
        <Link to="/me/entries">Your tickets in My entries</Link>
      </p>
    </li>
  );
}

function prizeAction(reveal: RevealRead): string {
  if (reveal.status === "won" && reveal.cash_alternative_cents == null) return "Claim your prize";
  if (reveal.status === "shipped") return "Track your prize and confirm delivery";
  return "Your prize: delivery and tracking";
}

function meaning(reveal: RevealRead, won: boolean): string {
  if (won) return `You won ${reveal.prize_name}!`;
  switch (reveal.status) {
    case "lost":
      return reveal.awarded_credits > 0
        ? `Not a winner this time. You earned ${formatCredits(reveal.awarded_credits)} toward future tickets.`
        : "Not a winner this time.";
    case "refunded": {
      const parts = [];
      if (reveal.refunded_cents > 0) parts.push(`${formatCents(reveal.refunded_cents)} in cash`);
      if (reveal.refunded_credits > 0) parts.push(formatCredits(reveal.refunded_credits));
      const back = parts.length ? parts.join(" and ") : "everything you paid";
      return `This lot did not fund in time, so it was not drawn. You got back ${back}.`;
    }
    case "pending":
      if (reveal.lot_status === "refunding" || reveal.lot_status === "expired") {
        return "This lot did not fund in time. Your refund is under way: see My entries.";
      }
      return "The draw happens as soon as the lot is fully funded.";
    default:
      return revealStatusLabel(reveal.status);
  }
}
