import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { ProblemAlert } from "../../components/ProblemAlert";
import { BarChart, ChartTable } from "../../admin/Charts";
import { addDays, formatDuration } from "../../admin/charts";
import { Crumbs } from "../../admin/parts";
import "../../admin/admin.css";

type Analytics = components["schemas"]["Analytics"];

const CREATED = "#14213d";
const FUNDED = "#1b6e3a";
const EXPIRED = "#a4161a";
const ISSUED = "#9a5b00";
const SPENT = "#3d6ea8";

function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

function dollars(cents: number): string {
  const sign = cents < 0 ? "-" : "";
  const whole = Math.floor(Math.abs(cents) / 100).toLocaleString("en-US");
  return `${sign}$${whole}.${String(Math.abs(cents) % 100).padStart(2, "0")}`;
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

/** Business figures over a range of UTC days: lots per day, conversion, time to funding,
 * credits, revenue per lot, GMV, refunds, fees and host payouts (docs/platform/analytics.md).
 * The range is "from" to "through", both included; the API's `to` is the day after. */
export default function AnalyticsPage() {
  const [search, setSearch] = useSearchParams();
  const through = search.get("through") ?? todayUtc();
  const from = search.get("from") ?? addDays(through, -29);
  const [draft, setDraft] = useState({ from, through });
  const [formError, setFormError] = useState<string | null>(null);

  const figures = useQuery({
    queryKey: ["admin", "analytics", from, through],
    queryFn: async () =>
      unwrap(await api.GET("/api/admin/analytics", { params: { query: { from, to: addDays(through, 1) } } })),
    placeholderData: keepPreviousData,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!draft.from || !draft.through) return setFormError("Choose both days.");
    if (draft.through < draft.from) return setFormError("“Through” must be on or after “From”.");
    setFormError(null);
    setSearch({ from: draft.from, through: draft.through });
  }

  return (
    <section aria-labelledby="analytics-title" className="stack">
      <Crumbs trail={[{ to: "/admin/analytics", label: "Analytics" }]} />
      <h1 id="analytics-title">Analytics</h1>
      <p className="muted">
        Days are UTC. Counts and times come from the lots; every amount comes from the ledger, and an auditor
        recomputes each one from the ledger export (see the analytics page of the platform docs).
      </p>
      <form className="range-form" onSubmit={submit} aria-label="Date range" noValidate>
        <div className="field">
          <label htmlFor="range-from">From</label>
          <input
            id="range-from"
            type="date"
            value={draft.from}
            onChange={(e) => setDraft({ ...draft, from: e.target.value })}
          />
        </div>
        <div className="field">
          <label htmlFor="range-through">Through</label>
          <input
            id="range-through"
            type="date"
            value={draft.through}
            onChange={(e) => setDraft({ ...draft, through: e.target.value })}
          />
        </div>
        <button type="submit">Show</button>
      </form>
      {formError && (
        <p role="alert" className="alert error">
          {formError}
        </p>
      )}
      <ProblemAlert error={figures.error} />
      {figures.isPending && <p role="status">Loading…</p>}
      {figures.data && <Dashboard data={figures.data} from={from} through={through} />}
    </section>
  );
}

function Dashboard({ data, from, through }: { data: Analytics; from: string; through: string }) {
  const days = data.days.map((d) => d.date);
  const labelEvery = Math.max(1, Math.ceil(days.length / 10));
  const lotSeries = [
    { name: "Created", color: CREATED, values: data.days.map((d) => d.lots_created) },
    { name: "Funded", color: FUNDED, values: data.days.map((d) => d.lots_funded) },
    { name: "Expired", color: EXPIRED, values: data.days.map((d) => d.lots_expired) },
  ];
  const revenue = data.revenue_per_lot;
  const revenueLabels = revenue.lots.map((l, i) => `#${i + 1} ${l.lot_id.slice(0, 8)}`);
  const credits = [
    { name: "Issued", color: ISSUED, values: [data.credits.issued_credits] },
    { name: "Spent", color: SPENT, values: [data.credits.spent_credits] },
  ];
  const m = data.money;
  const t = data.time_to_funding;
  const tiles: [string, string, string?][] = [
    ["Lots created", count(data.lots_created)],
    ["Lots funded", count(data.lots_funded)],
    ["Lots expired", count(data.lots_expired)],
    [
      "Conversion (open → funded)",
      data.conversion.rate === null || data.conversion.rate === undefined ? "—" : `${data.conversion.rate}%`,
      `${data.conversion.funded} funded of ${data.conversion.funded + data.conversion.expired} with an outcome`,
    ],
    ["Time to funding (median)", formatDuration(t.p50_seconds), `mean ${formatDuration(t.mean_seconds)}, p90 ${formatDuration(t.p90_seconds)}`],
    ["GMV (cash for tickets)", dollars(m.gmv_cents)],
    ["Revenue from settled lots", dollars(revenue.total_cents), `${revenue.settled_lots} lots, mean ${revenue.mean_cents === null || revenue.mean_cents === undefined ? "—" : dollars(revenue.mean_cents)}`],
    ["Cash refunded", dollars(m.cash_refunded_cents), `${dollars(m.refund_fees_cents)} kept in fees, ${dollars(m.refunded_to_credits_cents)} turned into credits`],
    ["Credits issued", count(data.credits.issued_credits), `${count(data.credits.refunded_credits)} given back in refunds`],
    ["Credits spent", count(data.credits.spent_credits), `${count(data.credits.redeemed_credits)} redeemed at settlement`],
    ["Processing fees", dollars(m.processing_fees_cents)],
    ["Host commission", dollars(m.host_commission_cents), `hosts' shares held: ${dollars(m.host_share_held_cents)}`],
    ["Host payouts", dollars(m.host_payouts_cents)],
  ];
  const span = `${from} through ${through}`;
  return (
    <>
      <h2>Key figures, {span}</h2>
      <ul className="kpis" aria-label="Key figures">
        {tiles.map(([label, value, note]) => (
          <li key={label} className="card">
            <span className="muted">{label}</span>
            <span className="kpi-value">{value}</span>
            {note && <small className="muted">{note}</small>}
          </li>
        ))}
      </ul>

      <h2>Lots per day</h2>
      <BarChart
        title="Lots created, funded and expired per day"
        summary={`${days.length} days from ${from} through ${through}: ${data.lots_created} created, ${data.lots_funded} funded, ${data.lots_expired} expired.`}
        labels={days.map((d) => d.slice(5))}
        series={lotSeries}
        labelEvery={labelEvery}
      />
      <ChartTable caption="Lots per day" labels={days} series={lotSeries} />

      <h2>Revenue per settled lot</h2>
      {revenue.lots.length === 0 ? (
        <p className="muted">No lot settled in this range.</p>
      ) : (
        <>
          <BarChart
            title="Platform revenue per settled lot"
            summary={`${revenue.settled_lots} lots settled, ${dollars(revenue.total_cents)} in all, mean ${dollars(revenue.mean_cents ?? 0)}.`}
            labels={revenueLabels}
            series={[{ name: "Revenue", color: FUNDED, values: revenue.lots.map((l) => l.revenue_cents) }]}
            format={(n) => dollars(Math.round(n))}
            labelEvery={Math.max(1, Math.ceil(revenueLabels.length / 8))}
          />
          <ChartTable
            caption="Revenue per settled lot"
            head="Lot"
            labels={revenue.lots.map((l) => l.lot_id)}
            series={[{ name: "Revenue", values: revenue.lots.map((l) => l.revenue_cents) }]}
            format={dollars}
          />
        </>
      )}

      <h2>Credits issued and spent</h2>
      <BarChart
        title="Credits issued and spent"
        summary={`${count(data.credits.issued_credits)} credits issued, ${count(data.credits.spent_credits)} spent.`}
        labels={[span]}
        series={credits}
        format={(n) => count(Math.round(n))}
      />
      <ChartTable caption="Credits" head="Range" labels={[span]} series={credits} format={count} />
    </>
  );
}
