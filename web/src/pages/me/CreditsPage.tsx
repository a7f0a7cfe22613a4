// Credits: the balance, what it is worth, and every movement with its ledger seq.
import { Link } from "react-router";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatCents, formatCredits } from "../../lib/money";
import { creditReason, formatDateTime, signedCredits, ticketCount } from "../../me/format";
import { MeNav } from "../../me/MeNav";
import { useCredits, useCreditTransactions } from "../../me/queries";
import { ShowMore } from "../../me/ShowMore";
import "../../me/me.css";
import { TableScroll } from "../../components/TableScroll";

export default function CreditsPage() {
  const credits = useCredits();
  const history = useCreditTransactions();
  const rows = history.data?.pages.flatMap((page) => page.items) ?? [];
  const balance = credits.data;

  return (
    <section aria-labelledby="credits-title">
      <MeNav />
      <h1 id="credits-title">Credits</h1>
      {credits.isPending && <p role="status">Loading your balance…</p>}
      <ProblemAlert error={credits.error} />
      {balance && (
        <section className="card me-balance" aria-labelledby="balance-title">
          <h2 id="balance-title" className="visually-hidden">
            Balance
          </h2>
          <p className="muted">Your balance</p>
          <p className="big" data-testid="credit-balance">
            {formatCredits(balance.balance_credits)}
          </p>
          <p>
            Worth {formatCents(balance.balance_credits)} toward tickets: 1 credit is 1 cent, and 100 credits buy one
            ticket in any lot. That is enough for {ticketCount(balance.tickets_affordable)}.
          </p>
          <p className="muted">
            Earned in all: {formatCredits(balance.total_earned_credits)} · spent on tickets:{" "}
            {formatCredits(balance.total_spent_credits)}. Credits can't be cashed out or sent to another player.
          </p>
          <p>
            <Link to="/">Spend them on a lot</Link>
          </p>
        </section>
      )}

      <h2>History</h2>
      {history.isPending && <p role="status">Loading your history…</p>}
      {history.isError && !history.data && <ProblemAlert error={history.error} />}
      {history.data && rows.length === 0 && (
        <p>
          No movements yet. You earn credits when a lot you entered is drawn and you don't win, or when you take a
          refund in credits.
        </p>
      )}
      {rows.length > 0 && (
        <TableScroll label="Credit movements">
          <table>
            <caption className="visually-hidden">Credit movements, newest first</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Why</th>
                <th scope="col" className="num">
                  Credits
                </th>
                <th scope="col" className="num">
                  Balance after
                </th>
                <th scope="col">Ledger seq</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.id}>
                  <td>{formatDateTime(row.created_at)}</td>
                  <td>
                    {creditReason(row.type)}
                    {row.lot_id && (
                      <>
                        {" "}
                        (<Link to={`/lots/${row.lot_id}`}>lot</Link>)
                      </>
                    )}
                  </td>
                  <td className={`num ${row.amount_credits < 0 ? "amount-minus" : "amount-plus"}`}>
                    {signedCredits(row.amount_credits)}
                  </td>
                  <td className="num">{new Intl.NumberFormat("en-US").format(row.balance_after_credits)}</td>
                  <td className="mono">{row.ledger_seq ?? "–"}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
      <ShowMore pages={history} what="movements" />
    </section>
  );
}
