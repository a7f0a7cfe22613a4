// Prize fulfillment, shared by the winner's prize page, the host's queue and the admin
// screen: the address form, the ship form, and a prize's facts (status, dates, deadlines).
import { useState, type FormEvent } from "react";
import type { components } from "../api/schema";
import { ApiError } from "../api/problem";
import { Field } from "../components/Field";
import { formatDateTime } from "../me/format";
import { formatCents } from "../lib/money";

export type ShippingAddress = components["schemas"]["ShippingAddress"];
export type TrackingRead = components["schemas"]["TrackingRead"];
export type ShipmentRead = components["schemas"]["ShipmentRead"];
type Fulfillment = TrackingRead | ShipmentRead;

const STATUS: Record<string, string> = {
  won: "Won: to claim",
  claimed: "Claimed: to ship",
  shipped: "Shipped",
  delivered: "Delivered",
  disputed: "Disputed",
};

/** A prize's fulfillment status in words. */
export function prizeStatusLabel(status: string): string {
  return STATUS[status] ?? status;
}

const REASONS: Record<string, string> = {
  not_received: "Not received",
  not_as_described: "Not as described",
};

export function disputeReasonLabel(reason: string | null | undefined): string {
  return reason ? (REASONS[reason] ?? reason) : "—";
}

const EMPTY: ShippingAddress = {
  name: "",
  line1: "",
  line2: null,
  city: "",
  region: null,
  postal_code: "",
  country: "",
  phone: "",
};

type AddressKey = keyof ShippingAddress;
const LINES: { key: AddressKey; label: string; hint?: string; optional?: boolean; autoComplete: string }[] = [
  { key: "name", label: "Full name", autoComplete: "name" },
  { key: "line1", label: "Address line 1", autoComplete: "address-line1" },
  { key: "line2", label: "Address line 2 (optional)", optional: true, autoComplete: "address-line2" },
  { key: "city", label: "City", autoComplete: "address-level2" },
  { key: "region", label: "State, county or province (optional)", optional: true, autoComplete: "address-level1" },
  { key: "postal_code", label: "Postal code", autoComplete: "postal-code" },
  { key: "country", label: "Country code", hint: "Two letters, e.g. GB, US, FR", autoComplete: "country" },
  { key: "phone", label: "Phone", hint: "International form, e.g. +44 20 7946 0958", autoComplete: "tel" },
];

/** The shipping address form: what the API validates, with its messages per field. */
export function AddressForm({
  initial,
  submitLabel,
  busy,
  error,
  onSubmit,
}: {
  initial?: ShippingAddress | null | undefined;
  submitLabel: string;
  busy: boolean;
  error: unknown;
  onSubmit: (address: ShippingAddress) => void;
}) {
  const [values, setValues] = useState<ShippingAddress>(initial ?? EMPTY);
  const problem = error instanceof ApiError ? error : null;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const address = { ...values, country: values.country.trim().toUpperCase() };
    for (const line of LINES) {
      if (line.optional && !String(address[line.key] ?? "").trim()) address[line.key] = null as never;
    }
    onSubmit(address);
  };
  return (
    <form onSubmit={submit} className="stack" aria-label="Shipping address">
      {LINES.map((line) => (
        <Field
          key={line.key}
          label={line.label}
          name={line.key}
          autoComplete={line.autoComplete}
          required={!line.optional}
          maxLength={line.key === "country" ? 2 : 200}
          hint={line.hint}
          value={values[line.key] ?? ""}
          error={problem?.fieldMessage(line.key)}
          onChange={(event) => setValues({ ...values, [line.key]: event.target.value })}
        />
      ))}
      <button type="submit" disabled={busy}>
        {busy ? "Saving…" : submitLabel}
      </button>
    </form>
  );
}

/** Carrier and tracking number, to mark a prize shipped. */
export function ShipForm({
  busy,
  onShip,
}: {
  busy: boolean;
  onShip: (shipment: { carrier: string; tracking_number: string }) => void;
}) {
  const [carrier, setCarrier] = useState("");
  const [tracking, setTracking] = useState("");
  return (
    <form
      className="stack"
      aria-label="Mark shipped"
      onSubmit={(event) => {
        event.preventDefault();
        onShip({ carrier: carrier.trim(), tracking_number: tracking.trim() });
      }}
    >
      <Field label="Carrier" name="carrier" required maxLength={100} value={carrier} onChange={(e) => setCarrier(e.target.value)} />
      <Field
        label="Tracking number"
        name="tracking_number"
        required
        maxLength={64}
        value={tracking}
        onChange={(e) => setTracking(e.target.value)}
      />
      <button type="submit" disabled={busy}>
        {busy ? "Saving…" : "Mark shipped"}
      </button>
    </form>
  );
}

/** The address as lines (for the shipper's label, or the winner's own check). */
export function AddressLines({ address }: { address: ShippingAddress }) {
  return (
    <address>
      {[
        address.name,
        address.line1,
        address.line2,
        [address.city, address.region].filter(Boolean).join(", "),
        address.postal_code,
        address.country,
        address.phone,
      ]
        .filter(Boolean)
        .map((line, index) => (
          <span key={index}>
            {line}
            <br />
          </span>
        ))}
    </address>
  );
}

/** Status, dates, deadlines, carrier and tracking, dispute and cash alternative. */
export function FulfillmentFacts({ prize }: { prize: Fulfillment }) {
  const rows: [string, string | null | undefined][] = [
    ["Status", prizeStatusLabel(prize.status)],
    ["Claim by", prize.claimed_at ? null : prize.claim_deadline && formatDateTime(prize.claim_deadline)],
    ["Claimed", prize.claimed_at && formatDateTime(prize.claimed_at)],
    ["Ship by", prize.shipped_at ? null : prize.ship_deadline && formatDateTime(prize.ship_deadline)],
    ["Shipped", prize.shipped_at && formatDateTime(prize.shipped_at)],
    ["Carrier", prize.carrier],
    ["Tracking number", prize.tracking_number],
    ["Delivered", prize.delivered_at && formatDateTime(prize.delivered_at)],
    ["Confirmed by", prize.delivery_confirmed_by],
    ["Dispute", prize.disputed_at && `${disputeReasonLabel(prize.dispute_reason)}, opened ${formatDateTime(prize.disputed_at)}`],
    [
      "Resolution",
      prize.dispute_resolution &&
        `${prize.dispute_resolution === "release" ? "Released to the shipper" : "Paid to you in cash"}${
          prize.dispute_resolved_at ? ` (${formatDateTime(prize.dispute_resolved_at)})` : ""
        }`,
    ],
    ["Paid in cash instead", prize.cash_alternative_cents != null ? formatCents(prize.cash_alternative_cents) : null],
  ];
  return (
    <dl className="facts">
      {rows
        .filter(([, value]) => value)
        .map(([label, value]) => (
          <div key={label} style={{ display: "contents" }}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
    </dl>
  );
}
