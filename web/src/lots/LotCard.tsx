import { Link } from "react-router";
import { cardUrl } from "../lib/media";
import { FundingBar } from "../components/FundingBar";
import { formatBps, formatCents } from "../lib/money";
import type { Lot } from "./api";
import { plural, ticketsToFund, timeLeft } from "./format";

export const STATUS_WORDS: Record<Lot["status"], string> = {
  created: "Not open yet",
  open: "Open",
  funded: "Funded: draw coming",
  drawing: "Drawing",
  settled: "Drawn",
  expired: "Expired",
  refunding: "Refunding",
  closed: "Closed",
};

export function tierWords(lot: Pick<Lot, "tier" | "category">): string {
  return `${lot.tier.charAt(0)}${lot.tier.slice(1).toLowerCase()} · ${lot.category}`;
}

/** The prize's picture with words for it, or a plain panel when there is none. */
export function PrizeImage({ lot, src, className }: { lot: Lot; src?: string | undefined; className?: string }) {
  const image = src ?? lot.product?.images[0];
  if (!image) {
    return (
      <div className={`prize-none ${className ?? ""}`}>
        <span>{lot.lot_type === "mystery" && !lot.product ? "Mystery prize" : "No picture"}</span>
      </div>
    );
  }
  const name = lot.product ? [lot.product.brand, lot.product.name].filter(Boolean).join(" ") : lot.title;
  return <img className={className} src={image} alt={`The prize: ${name}`} loading="lazy" decoding="async" />;
}

export function Odds({ lot }: { lot: Lot }) {
  if (!lot.odds_per_ticket) return <>No tickets sold yet</>;
  return (
    <>
      {lot.odds_per_ticket} per ticket now{" "}
      <span className="muted">(of the {plural(lot.tickets_sold, "ticket")} sold so far; lower as more sell)</span>
    </>
  );
}

export function LotCard({ lot }: { lot: Lot }) {
  const toFund = lot.status === "open" ? ticketsToFund(lot) : null;
  const titleId = `lot-${lot.id}-title`;
  return (
    <article className="card lot-card" aria-labelledby={titleId}>
      <PrizeImage lot={lot} src={lot.product?.images[0] ? cardUrl(lot.product.images[0]) : undefined} className="lot-card-image" />
      <div className="stack lot-card-body">
        <h2 id={titleId} className="lot-card-title">
          <Link to={`/lots/${lot.id}`}>{lot.title}</Link>
        </h2>
        <p className="row lot-badges">
          <span className="badge">{tierWords(lot)}</span>
          <span className={`badge status-${lot.status}`}>{STATUS_WORDS[lot.status]}</span>
        </p>
        <ul className="bundles" aria-label="Ticket bundles">
          {lot.entry_bundles.map((bundle) => (
            <li key={bundle.index}>
              {plural(bundle.tickets, "ticket")} for {formatCents(bundle.price_cents)}
            </li>
          ))}
        </ul>
        <div>
          <FundingBar bps={lot.funding.progress_bps} label={`Funding of ${lot.title}`} />
          <p className="funding-words">
            {formatCents(lot.funding.funded_cents)} of {formatCents(lot.funding.target_cents)} (
            {formatBps(lot.funding.progress_bps)})
          </p>
        </div>
        <dl className="facts compact">
          {toFund !== null && (
            <>
              <dt>Tickets left</dt>
              <dd>about {toFund.toLocaleString("en-US")} at the lowest price</dd>
            </>
          )}
          <dt>Time left</dt>
          <dd>{lot.status === "open" ? timeLeft(lot.seconds_left) : STATUS_WORDS[lot.status]}</dd>
          <dt>Odds</dt>
          <dd>
            <Odds lot={lot} />
          </dd>
        </dl>
      </div>
    </article>
  );
}
