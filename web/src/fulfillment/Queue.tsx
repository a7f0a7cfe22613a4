// A shipper's queue (the host's, or the admins'): each prize with its winner's username,
// deadlines and, once claimed, the address to ship to; the ship form for a claimed
// prize; for admins, the two resolutions of an open dispute.
import { useInfiniteQuery, useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link } from "react-router";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatCents } from "../lib/money";
import {
  AddressLines,
  disputeReasonLabel,
  FulfillmentFacts,
  prizeStatusLabel,
  ShipForm,
  type ShipmentRead,
} from "./parts";

export const STATUS_FILTERS = [
  { value: "", label: "To do (claimed, shipped, disputed)" },
  { value: "won", label: "Won, not claimed yet" },
  { value: "claimed", label: "Claimed: to ship" },
  { value: "shipped", label: "Shipped" },
  { value: "delivered", label: "Delivered" },
  { value: "disputed", label: "Disputed" },
] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number]["value"];

type Page = { items: ShipmentRead[]; next_cursor?: string | null };

export function Queue({
  queryKey,
  load,
  ship,
  resolve,
  empty,
}: {
  queryKey: readonly unknown[];
  load: (status: StatusFilter, cursor: string | undefined) => Promise<Page>;
  ship: (revealId: string, shipment: { carrier: string; tracking_number: string }) => Promise<ShipmentRead>;
  resolve?: (revealId: string, resolution: "release" | "compensate", note: string) => Promise<ShipmentRead>;
  empty: string;
}) {
  const [status, setStatus] = useState<StatusFilter>("");
  const pages = useInfiniteQuery({
    queryKey: [...queryKey, status],
    queryFn: ({ pageParam }) => load(status, pageParam),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const items = pages.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <div className="stack">
      <div className="field">
        <label htmlFor="prize-status">Show</label>
        <select id="prize-status" value={status} onChange={(event) => setStatus(event.target.value as StatusFilter)}>
          {STATUS_FILTERS.map((filter) => (
            <option key={filter.value} value={filter.value}>
              {filter.label}
            </option>
          ))}
        </select>
      </div>
      {pages.isPending && <p role="status">Loading prizes…</p>}
      <ProblemAlert error={pages.error} />
      {pages.data && items.length === 0 && <p>{empty}</p>}
      <ul className="me-lots" role="list">
        {items.map((item) => (
          <Prize key={item.reveal_id} item={item} queryKey={queryKey} ship={ship} resolve={resolve} />
        ))}
      </ul>
      {pages.hasNextPage && (
        <button type="button" onClick={() => void pages.fetchNextPage()} disabled={pages.isFetchingNextPage}>
          Show more prizes
        </button>
      )}
    </div>
  );
}

function Prize({
  item,
  queryKey,
  ship,
  resolve,
}: {
  item: ShipmentRead;
  queryKey: readonly unknown[];
  ship: (revealId: string, shipment: { carrier: string; tracking_number: string }) => Promise<ShipmentRead>;
  resolve?: ((revealId: string, resolution: "release" | "compensate", note: string) => Promise<ShipmentRead>) | undefined;
}) {
  const client = useQueryClient();
  const refresh = () => void client.invalidateQueries({ queryKey });
  const shipping = useMutation({
    mutationFn: (shipment: { carrier: string; tracking_number: string }) => ship(item.reveal_id, shipment),
    onSuccess: refresh,
  });
  const resolving = useMutation({
    mutationFn: ({ resolution, note }: { resolution: "release" | "compensate"; note: string }) => {
      if (!resolve) throw new Error("not an admin");
      return resolve(item.reveal_id, resolution, note);
    },
    onSuccess: refresh,
  });
  const [note, setNote] = useState("");
  const titleId = `prize-${item.reveal_id}`;
  const canResolve = resolve && item.status === "disputed" && !item.dispute_resolution;
  return (
    <li className="card me-lot" aria-labelledby={titleId}>
      <header>
        <h2 id={titleId}>
          <Link to={`/lots/${item.lot_id}`}>{item.lot_title}</Link>
        </h2>
        <span className="badge">{prizeStatusLabel(item.status)}</span>
      </header>
      <p>
        {item.prize_name} ({formatCents(item.prize_retail_value_cents)}), won by <strong>{item.winner_username}</strong>
        {item.shipper === "host" ? ", shipped by the lot's host" : ""}.
      </p>
      <FulfillmentFacts prize={item} />
      {item.dispute_details && (
        <p>
          {disputeReasonLabel(item.dispute_reason)}: “{item.dispute_details}”
        </p>
      )}
      {item.shipping_address && (
        <>
          <h3>Ship to</h3>
          <AddressLines address={item.shipping_address} />
        </>
      )}
      {item.status === "claimed" && (item.shipping_address || !resolve) && (
        <>
          <ShipForm busy={shipping.isPending} onShip={(shipment) => shipping.mutate(shipment)} />
          <ProblemAlert error={shipping.error} />
        </>
      )}
      {canResolve && (
        <form className="stack" aria-label={`Resolve the dispute about ${item.lot_title}`} onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor={`note-${item.reveal_id}`}>Resolution note</label>
            <textarea
              id={`note-${item.reveal_id}`}
              required
              maxLength={2000}
              value={note}
              onChange={(event) => setNote(event.target.value)}
            />
          </div>
          <div className="actions">
            <button
              type="button"
              disabled={resolving.isPending || !note.trim()}
              onClick={() => resolving.mutate({ resolution: "release", note: note.trim() })}
            >
              Release (delivered)
            </button>
            <button
              type="button"
              disabled={resolving.isPending || !note.trim()}
              onClick={() => resolving.mutate({ resolution: "compensate", note: note.trim() })}
            >
              Compensate the winner
            </button>
          </div>
          <ProblemAlert error={resolving.error} />
        </form>
      )}
    </li>
  );
}
