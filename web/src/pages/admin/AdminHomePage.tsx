import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, unwrap } from "../../api/client";
import { ProblemAlert } from "../../components/ProblemAlert";
import { CachePanel } from "../../admin/CachePanel";
import { formatMoment } from "../../admin/datetime";
import { LOT_STATUSES } from "../../admin/parts";
import "../../admin/admin.css";

const SECTIONS = [
  { to: "/admin/lots", label: "Lots", what: "create, edit, open, extend, refund, draw and settle" },
  { to: "/admin/product-classes", label: "Product classes", what: "the catalogue of prizes lots are made of" },
  { to: "/admin/users", label: "Users", what: "find an account, set its roles or suspend it" },
  { to: "/admin/payments", label: "Payment events", what: "events and disputes needing a person" },
  { to: "/admin/ledger", label: "Ledger", what: "the latest signed checkpoint and the credits reconciliation" },
  { to: "/admin/fulfillment", label: "Prize fulfillment", what: "platform prizes to ship, and disputes to resolve" },
  { to: "/admin/tasks", label: "Background tasks", what: "tasks that failed on every attempt: why, and retry them" },
  { to: "/admin/payouts", label: "Payouts", what: "hosts' Stripe payouts (retry a refused one) and winners owed cash" },
  { to: "/admin/hosts", label: "Hosts", what: "review host applications and host lots; suspend and reinstate hosts" },
  { to: "/admin/audit-log", label: "Audit log", what: "every admin and host action, hash-chained; export it for alot-verify" },
  { to: "/admin/analytics", label: "Analytics", what: "lots per day, conversion, time to funding, revenue, GMV, refunds, credits" },
];

export default function AdminHomePage() {
  const overview = useQuery({
    queryKey: ["admin", "overview"],
    queryFn: async () => unwrap(await api.GET("/api/admin/overview")),
  });
  const checkpoint = useQuery({
    queryKey: ["ledger", "checkpoint"],
    queryFn: async () => unwrap(await api.GET("/api/ledger/checkpoint")),
    retry: false,
  });

  return (
    <section aria-labelledby="desk-title" className="stack">
      <h1 id="desk-title">Admin desk</h1>
      <nav aria-label="Admin sections">
        <ul className="desk-grid" role="list" style={{ listStyle: "none", padding: 0, margin: 0 }}>
          {SECTIONS.map((section) => (
            <li key={section.to} className="card">
              <Link to={section.to}>
                <strong>{section.label}</strong>
              </Link>
              <p className="muted" style={{ margin: "0.25rem 0 0" }}>
                {section.what}
              </p>
            </li>
          ))}
        </ul>
      </nav>

      <h2>At a glance</h2>
      <div className="desk-grid">
        <section className="card" aria-labelledby="lots-count-title">
          <h3 id="lots-count-title">Lots by status</h3>
          {overview.isPending && <p role="status">Loading…</p>}
          <ProblemAlert error={overview.error} />
          {overview.data && (
            <ul className="counts">
              {LOT_STATUSES.map(({ status, label }) => (
                <li key={status}>
                  <Link to={`/admin/lots?state=${status}`}>{label}</Link>
                  <strong>{overview.data.lots_by_status[status] ?? 0}</strong>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section className="card" aria-labelledby="events-count-title">
          <h3 id="events-count-title">Payment events needing attention</h3>
          {overview.data && (
            <p>
              <strong className="big-number">{overview.data.payment_events_needing_attention}</strong>{" "}
              {overview.data.payment_events_needing_attention === 0 ? (
                "— nothing to look at."
              ) : (
                <Link to="/admin/payments">See them</Link>
              )}
            </p>
          )}
        </section>
        <section className="card" aria-labelledby="tasks-count-title">
          <h3 id="tasks-count-title">Failed background tasks</h3>
          {overview.data && (
            <p>
              <strong className="big-number">{overview.data.failed_tasks}</strong>{" "}
              {overview.data.failed_tasks === 0 ? (
                "— nothing failed."
              ) : (
                <Link to="/admin/tasks">See and retry them</Link>
              )}
            </p>
          )}
        </section>
        <section className="card" aria-labelledby="checkpoint-title">
          <h3 id="checkpoint-title">Latest ledger checkpoint</h3>
          {checkpoint.isPending && <p role="status">Loading…</p>}
          {checkpoint.isError && <p className="muted">No signed checkpoint yet (the scheduler makes one every few minutes).</p>}
          {checkpoint.data && (
            <dl className="facts">
              <dt>Size</dt>
              <dd>{checkpoint.data.size.toLocaleString("en-US")} transactions</dd>
              <dt>Signed</dt>
              <dd>{formatMoment(checkpoint.data.created_at)}</dd>
            </dl>
          )}
          <p>
            <Link to="/admin/ledger">Ledger and reconciliation</Link>
          </p>
        </section>
        <CachePanel />
      </div>
    </section>
  );
}
