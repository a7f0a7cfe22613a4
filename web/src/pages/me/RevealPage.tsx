// One won prize, for its winner: claim it with a shipping address (before the claim
// deadline), change the address until it ships, follow the shipment, confirm delivery,
// or open a dispute. The address is shown to the winner only here.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { ProblemAlert } from "../../components/ProblemAlert";
import {
  AddressForm,
  AddressLines,
  FulfillmentFacts,
  type ShippingAddress,
  type TrackingRead,
} from "../../fulfillment/parts";
import { formatCents } from "../../lib/money";
import { formatDateTime } from "../../me/format";
import { MeNav } from "../../me/MeNav";
import { refreshRecords } from "../../me/queries";
import "../../me/me.css";

function trackingKey(revealId: string) {
  return ["me-records", "tracking", revealId] as const;
}

export default function RevealPage() {
  const { revealId = "" } = useParams();
  const client = useQueryClient();
  const tracking = useQuery({
    queryKey: trackingKey(revealId),
    queryFn: async () =>
      unwrap(await api.GET("/api/reveals/{reveal_id}/tracking", { params: { path: { reveal_id: revealId } } })),
  });
  const [editing, setEditing] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const done = (words: string) => (data: TrackingRead) => {
    client.setQueryData(trackingKey(revealId), data);
    setEditing(false);
    setNotice(words);
    void refreshRecords(client);
  };
  const path = { params: { path: { reveal_id: revealId } } };
  const claim = useMutation({
    mutationFn: async (address: ShippingAddress) =>
      unwrap(await api.POST("/api/reveals/{reveal_id}/claim", { ...path, body: { shipping_address: address } })),
    onSuccess: done("Claimed: your prize will be shipped to this address."),
  });
  const update = useMutation({
    mutationFn: async (address: ShippingAddress) =>
      unwrap(await api.PATCH("/api/reveals/{reveal_id}/shipping", { ...path, body: { shipping_address: address } })),
    onSuccess: done("Address changed."),
  });
  const confirm = useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/reveals/{reveal_id}/confirm-delivery", path)),
    onSuccess: done("Thank you: delivery confirmed."),
  });
  const dispute = useMutation({
    mutationFn: async (body: { reason: "not_received" | "not_as_described"; details: string }) =>
      unwrap(await api.POST("/api/reveals/{reveal_id}/dispute", { ...path, body })),
    onSuccess: done("Dispute opened: an ALOT! administrator will look into it."),
  });

  const prize = tracking.data;
  return (
    <section aria-labelledby="prize-title">
      <MeNav />
      <h1 id="prize-title">{prize ? `Your prize: ${prize.prize_name}` : "Your prize"}</h1>
      {tracking.isPending && <p role="status">Loading your prize…</p>}
      <ProblemAlert error={tracking.error} />
      {notice && (
        <p role="status" className="alert ok">
          {notice}
        </p>
      )}
      {prize && (
        <div className="stack">
          <p>
            You won <Link to={`/lots/${prize.lot_id}`}>{prize.lot_title}</Link>: {prize.prize_name} (retail value{" "}
            {formatCents(prize.prize_retail_value_cents)}). It is shipped by{" "}
            {prize.shipper === "host" ? "the lot's host" : "ALOT!"}.
          </p>
          <FulfillmentFacts prize={prize} />
          <Next
            prize={prize}
            editing={editing}
            setEditing={setEditing}
            claim={claim}
            update={update}
            confirm={confirm}
            dispute={dispute}
          />
        </div>
      )}
      <p>
        <Link to="/me/reveals">Back to my results</Link>
      </p>
    </section>
  );
}

type Mutation<T> = { mutate: (value: T) => void; isPending: boolean; error: unknown };

function Next({
  prize,
  editing,
  setEditing,
  claim,
  update,
  confirm,
  dispute,
}: {
  prize: TrackingRead;
  editing: boolean;
  setEditing: (value: boolean) => void;
  claim: Mutation<ShippingAddress>;
  update: Mutation<ShippingAddress>;
  confirm: Mutation<void>;
  dispute: Mutation<{ reason: "not_received" | "not_as_described"; details: string }>;
}) {
  const overdue = prize.status === "claimed" && prize.ship_deadline && new Date(prize.ship_deadline) <= new Date();
  if (prize.cash_alternative_cents != null) {
    return (
      <p>
        This prize is paid to you in cash instead: {formatCents(prize.cash_alternative_cents)}
        {prize.cash_alternative_reason === "claim_expired" ? ", as it was not claimed in time." : "."}
      </p>
    );
  }
  if (prize.status === "won") {
    return (
      <section aria-labelledby="claim-title" className="card">
        <h2 id="claim-title">Claim your prize</h2>
        {prize.claim_deadline && <p>Give us a shipping address by {formatDateTime(prize.claim_deadline)}.</p>}
        <AddressForm submitLabel="Claim my prize" busy={claim.isPending} error={claim.error} onSubmit={claim.mutate} />
        <ProblemAlert error={claim.error} />
      </section>
    );
  }
  return (
    <>
      {prize.shipping_address && (
        <section aria-labelledby="address-title" className="card">
          <h2 id="address-title">Shipping address</h2>
          {editing ? (
            <>
              <AddressForm
                initial={prize.shipping_address}
                submitLabel="Save the address"
                busy={update.isPending}
                error={update.error}
                onSubmit={update.mutate}
              />
              <ProblemAlert error={update.error} />
            </>
          ) : (
            <>
              <AddressLines address={prize.shipping_address} />
              {prize.status === "claimed" && (
                <button type="button" onClick={() => setEditing(true)}>
                  Change the address
                </button>
              )}
            </>
          )}
        </section>
      )}
      {prize.status === "shipped" && (
        <section aria-labelledby="arrived-title" className="card">
          <h2 id="arrived-title">Has it arrived?</h2>
          <button type="button" disabled={confirm.isPending} onClick={() => confirm.mutate()}>
            Confirm delivery
          </button>
          <ProblemAlert error={confirm.error} />
        </section>
      )}
      {(prize.status === "shipped" || overdue) && <DisputeForm dispute={dispute} />}
      {prize.status === "disputed" && !prize.dispute_resolution && (
        <p>Your dispute is open: an ALOT! administrator will resolve it and tell you.</p>
      )}
    </>
  );
}

function DisputeForm({
  dispute,
}: {
  dispute: Mutation<{ reason: "not_received" | "not_as_described"; details: string }>;
}) {
  const [reason, setReason] = useState<"not_received" | "not_as_described">("not_received");
  const [details, setDetails] = useState("");
  return (
    <section aria-labelledby="dispute-title" className="card">
      <h2 id="dispute-title">A problem with your prize?</h2>
      <form
        className="stack"
        onSubmit={(event) => {
          event.preventDefault();
          dispute.mutate({ reason, details: details.trim() });
        }}
      >
        <fieldset>
          <legend>What went wrong</legend>
          <label>
            <input type="radio" name="reason" checked={reason === "not_received"} onChange={() => setReason("not_received")} />{" "}
            It never arrived
          </label>
          <label>
            <input
              type="radio"
              name="reason"
              checked={reason === "not_as_described"}
              onChange={() => setReason("not_as_described")}
            />{" "}
            It is not as described
          </label>
        </fieldset>
        <div className="field">
          <label htmlFor="dispute-details">Details</label>
          <textarea
            id="dispute-details"
            required
            maxLength={2000}
            value={details}
            onChange={(event) => setDetails(event.target.value)}
          />
        </div>
        <button type="submit" disabled={dispute.isPending}>
          Open a dispute
        </button>
      </form>
      <ProblemAlert error={dispute.error} />
    </section>
  );
}
