// One lot: pictures, facts, live funding (pushed over the tab's live connection as it
// happens; polled every 5 s while open when the connection is down, with honest
// staleness), the draw as it happens, the player's own tickets and odds, the
// leaderboard, the trivia gate and the buy flow. Visitors see everything and are sent
// to log in (and back) to play.
import { useQuery } from "@tanstack/react-query";
import { Link, useLocation, useParams } from "react-router";
import { ApiError } from "../api/problem";
import { loginPath, useMe } from "../auth/session";
import { FundingBar } from "../components/FundingBar";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatBps, formatCents } from "../lib/money";
import {
  fetchLeaderboard,
  fetchLot,
  fetchMyLotEntries,
  leaderboardKey,
  lotKey,
  myLotEntriesKey,
  type Lot,
} from "../lots/api";
import { BuyPanel } from "../lots/BuyPanel";
import { DrawRandomness } from "../lots/DrawRandomness";
import { PseudonymNote, YouAppearAs, holdersOf } from "../lots/Holder";
import { MyOddsLine } from "../lots/FreeEntryPanel";
import { ago, freeEntryRule, plural, shareBps, ticketRange, ticketsToFund, timeLeft } from "../lots/format";
import { Gallery } from "../lots/Gallery";
import { Odds, STATUS_WORDS, tierWords } from "../lots/LotCard";
import { TriviaGate } from "../lots/TriviaGate";
import { useNow } from "../lots/useNow";
import "../lots/lots.css";
import { TableScroll } from "../components/TableScroll";
import { useLiveLot } from "../live";
import "../live/live.css";

const LIVE_MS = 5000;
const live = (lot: Lot | undefined) => lot?.status === "open";

function LiveStatus({
  updatedAt,
  failing,
  error,
  pushed,
  polling,
}: {
  updatedAt: number;
  failing: boolean;
  error: unknown;
  pushed: boolean;
  polling: boolean;
}) {
  const now = useNow();
  return (
    <>
      <p className="live muted" data-testid="live-status">
        {pushed
          ? "Live: updates as they happen"
          : polling
            ? `Live: updates every ${LIVE_MS / 1000} s · last updated ${ago(now - updatedAt)}`
            : `Reconnecting for live updates · last updated ${ago(now - updatedAt)}`}
      </p>
      {failing && (
        <div role="alert" className="alert error">
          We couldn't refresh this lot, so the figures may be out of date (last updated {ago(now - updatedAt)}). We'll keep
          trying. <span className="muted">({error instanceof Error ? error.message : "no answer"})</span>
        </div>
      )}
    </>
  );
}

function MyTickets({ lot }: { lot: Lot }) {
  const entries = useQuery({
    queryKey: myLotEntriesKey(lot.id),
    // Changes when this player buys (the buy flow invalidates it), not with others' sales.
    queryFn: () => fetchMyLotEntries(lot.id),
  });
  if (entries.isPending) return <p role="status">Loading your tickets…</p>;
  if (entries.isError) return <ProblemAlert error={entries.error} />;
  const mine = entries.data;
  const count = mine.reduce((sum, entry) => sum + entry.ticket_count, 0);
  if (count === 0) return <p>You have no tickets in this lot yet.</p>;
  const sold = Math.max(lot.tickets_sold, count);
  return (
    <div className="stack">
      <p style={{ margin: 0 }}>
        You hold <strong>{plural(count, "ticket")}</strong> of the {plural(sold, "ticket")} sold:{" "}
        <strong>{formatBps(shareBps(count, sold))}</strong> chance to win ({count} in {sold}) if no more are sold.
      </p>
      <ul aria-label="My ticket numbers">
        {mine.map((entry) => (
          <li key={entry.id}>
            {ticketRange(entry.tickets_start, entry.tickets_end)}{" "}
            <span className="muted">
              ({entry.method === "free" ? "free entry" : entry.method === "credits" ? `${entry.spent_credits} credits` : entry.amount_paid_cents ? formatCents(entry.amount_paid_cents) : "free"}
              {entry.ledger_seq !== null ? `, ledger entry #${entry.ledger_seq}` : ""})
            </span>
            {entry.is_winner && <strong> Winner!</strong>}
          </li>
        ))}
      </ul>
      <YouAppearAs holders={holdersOf(mine)} />
    </div>
  );
}

function Leaderboard({ lot, polling }: { lot: Lot; polling: boolean }) {
  const board = useQuery({
    queryKey: leaderboardKey(lot.id),
    queryFn: () => fetchLeaderboard(lot.id),
    // Pushed: each live event of the lot refetches it (src/live/cache.ts).
    refetchInterval: live(lot) && polling ? LIVE_MS : false,
  });
  return (
    <section aria-labelledby="board-title">
      <h2 id="board-title">Leaderboard</h2>
      {board.isPending ? (
        <p role="status">Loading the leaderboard…</p>
      ) : board.isError ? (
        <ProblemAlert error={board.error} />
      ) : board.data.items.length === 0 ? (
        <p>No one has bought tickets yet. Be the first.</p>
      ) : (
        <TableScroll label="Leaderboard table">
          <table>
            <caption className="muted" style={{ textAlign: "left" }}>
              Most tickets first{board.data.next_cursor ? " (top 20)" : ""}
            </caption>
            <thead>
              <tr>
                <th scope="col">Rank</th>
                <th scope="col">Player</th>
                <th scope="col">Tickets</th>
              </tr>
            </thead>
            <tbody>
              {board.data.items.map((row) => (
                <tr key={row.username}>
                  <td>{row.rank}</td>
                  <td>{row.username}</td>
                  <td>{row.tickets}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}

function Play({ lot }: { lot: Lot }) {
  const me = useMe();
  const location = useLocation();
  if (lot.status !== "open") {
    return (
      <p className="alert info">
        {lot.status === "funded" || lot.status === "drawing"
          ? "This lot is fully funded: no more tickets. The draw is running."
          : lot.status === "settled"
            ? "This lot has been drawn."
            : "This lot is not selling tickets."}
      </p>
    );
  }
  if (me.isPending) return <p role="status">Checking your session…</p>;
  if (!me.data) {
    return (
      <section className="card stack" aria-labelledby="play-title">
        <h2 id="play-title">Want in?</h2>
        <p style={{ margin: 0 }}>Question: {lot.trivia_question}</p>
        <p style={{ margin: 0 }}>
          <Link className="button" to={loginPath(location)}>
            Log in to answer and buy
          </Link>{" "}
          or <Link to="/register">create an account</Link>.
        </p>
      </section>
    );
  }
  return <TriviaGate lotId={lot.id}>{() => <BuyPanel lot={lot} />}</TriviaGate>;
}

export default function LotPage() {
  const { lotId = "" } = useParams();
  const me = useMe();
  const liveLot = useLiveLot(lotId);
  const lot = useQuery({
    queryKey: lotKey(lotId),
    queryFn: () => fetchLot(lotId),
    // Polled only when live events cannot be had (no connection after retries, or the
    // server refused the lot); a dropped connection resumes and brings what was missed.
    refetchInterval: (query) => (live(query.state.data) && liveLot.polling ? LIVE_MS : false),
  });
  const now = useNow();

  if (lot.isPending) return <p role="status">Loading the lot…</p>;
  if (lot.isError && !lot.data) {
    const missing = lot.error instanceof ApiError && lot.error.status === 404;
    return (
      <section>
        <h1>{missing ? "Lot not found" : "This lot didn't load"}</h1>
        <ProblemAlert error={lot.error} />
        <p>
          <Link to="/">Back to all lots</Link>
        </p>
      </section>
    );
  }
  const data = lot.data;
  const elapsed = Math.floor((now - lot.dataUpdatedAt) / 1000);
  const secondsLeft = data.status === "open" ? Math.max(0, data.seconds_left - elapsed) : 0;
  const toFund = data.status === "open" ? ticketsToFund(data) : null;
  const product = data.product;
  const drawn = data.status === "settled" || data.drawn_at !== null;

  return (
    <article aria-labelledby="lot-title">
      <p>
        <Link to="/">← All lots</Link>
      </p>
      <h1 id="lot-title">{data.title}</h1>
      <p className="row lot-badges">
        <span className="badge">{tierWords(data)}</span>
        <span className={`badge status-${data.status}`}>{STATUS_WORDS[data.status]}</span>
        {data.lot_type === "mystery" && <span className="badge">Mystery lot</span>}
      </p>
      {(liveLot.drawing || data.status === "drawing") && liveLot.winningTicket === null && (
        <p role="status" className="alert info drawing" data-testid="drawing">
          Drawing… the winner is being picked now.
        </p>
      )}
      {liveLot.winningTicket !== null && (
        <p role="status" className="alert ok" data-testid="winning-ticket">
          Drawn: the winning ticket is <strong>#{liveLot.winningTicket}</strong>.
        </p>
      )}
      {drawn && (
        <p className="alert ok">
          <Link to={`/lots/${data.id}/draw`}>See the winner and verify the draw</Link>
        </p>
      )}

      <div className="lot-layout">
        <div className="stack">
          <Gallery lot={data} />
          <section aria-labelledby="about-title">
            <h2 id="about-title">The prize</h2>
            {product ? (
              <>
                <p>
                  <strong>{[product.brand, product.name].filter(Boolean).join(" ")}</strong>
                </p>
                {product.description && <p>{product.description}</p>}
                {Object.keys(product.specifications).length > 0 && (
                  <dl className="facts">
                    {Object.entries(product.specifications).map(([name, value]) => (
                      <div key={name} style={{ display: "contents" }}>
                        <dt>{name}</dt>
                        <dd>{String(value)}</dd>
                      </div>
                    ))}
                  </dl>
                )}
                {product.authenticity_certificate_url && (
                  <p>
                    <a href={product.authenticity_certificate_url}>Certificate of authenticity</a>
                  </p>
                )}
              </>
            ) : (
              <p>A mystery prize: it is revealed after the draw. You know its tier, category and retail value.</p>
            )}
            <dl className="facts">
              <dt>Retail value</dt>
              <dd>{formatCents(data.retail_value_cents)}</dd>
              <dt>Tier and category</dt>
              <dd>{tierWords(data)}</dd>
            </dl>
          </section>
        </div>

        <div className="stack">
          <section className="card stack" aria-labelledby="funding-title">
            <h2 id="funding-title" style={{ margin: 0 }}>
              Funding
            </h2>
            <FundingBar bps={data.funding.progress_bps} label={`Funding of ${data.title}`} />
            <p style={{ margin: 0 }}>
              <strong>{formatCents(data.funding.funded_cents)}</strong> of {formatCents(data.funding.target_cents)} (
              {formatBps(data.funding.progress_bps)}). The draw runs as soon as the target is reached.
            </p>
            <dl className="facts">
              <dt>Time left</dt>
              <dd>{data.status === "open" ? timeLeft(secondsLeft) : STATUS_WORDS[data.status]}</dd>
              <dt>Deadline</dt>
              <dd>{new Date(data.deadline).toLocaleString()}</dd>
              <dt>Tickets sold</dt>
              <dd>{data.tickets_sold.toLocaleString("en-US")}</dd>
              {toFund !== null && (
                <>
                  <dt>Tickets left</dt>
                  <dd>about {toFund.toLocaleString("en-US")} at the lowest price</dd>
                </>
              )}
              <dt>Odds</dt>
              <dd>
                <Odds lot={data} /> <span className="muted">Every ticket, paid or free, has the same chance.</span>
              </dd>
              <dt>Free entry</dt>
              <dd data-testid="free-entry-rule">{freeEntryRule(data.free_entry_period_days)} (no purchase necessary)</dd>
              {data.max_tickets_per_user !== null && (
                <>
                  <dt>Most per player</dt>
                  <dd>{plural(data.max_tickets_per_user, "ticket")}</dd>
                </>
              )}
              <dt>If you don't win</dt>
              <dd>{data.non_winner_credit_rate_percent}% of what you spent comes back as credits</dd>
            </dl>
            <DrawRandomness lot={data} />
            <PseudonymNote lot={data} />
            {live(data) && (
              <LiveStatus
                updatedAt={lot.dataUpdatedAt}
                failing={lot.isError}
                error={lot.error}
                pushed={liveLot.live}
                polling={liveLot.polling}
              />
            )}
          </section>

          <section aria-labelledby="bundles-title">
            <h2 id="bundles-title">Ticket bundles</h2>
            <ul>
              {data.entry_bundles.map((bundle) => (
                <li key={bundle.index}>
                  {plural(bundle.tickets, "ticket")} for {formatCents(bundle.price_cents)}{" "}
                  <span className="muted">(${bundle.price_per_ticket} each)</span>
                </li>
              ))}
            </ul>
          </section>

          {me.data && (
            <section aria-labelledby="mine-title">
              <h2 id="mine-title">My tickets</h2>
              <MyOddsLine lotId={data.id} />
              <MyTickets lot={data} />
            </section>
          )}

          <Play lot={data} />
        </div>
      </div>

      <Leaderboard lot={data} polling={liveLot.polling} />
    </article>
  );
}
