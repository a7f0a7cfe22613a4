// The host portal's own navigation: every host screen shows it.
import { NavLink } from "react-router";

const LINKS = [
  { to: "/host", label: "Dashboard", end: true },
  { to: "/host/lots/new", label: "New lot", end: false },
  { to: "/host/fulfillment", label: "Fulfillment", end: false },
  { to: "/host/payouts", label: "Payouts", end: false },
];

export function HostNav() {
  return (
    <nav aria-label="Host portal" className="host-nav">
      <ul role="list" style={{ display: "flex", gap: "1rem", listStyle: "none", padding: 0, margin: 0, flexWrap: "wrap" }}>
        {LINKS.map((link) => (
          <li key={link.to}>
            <NavLink to={link.to} end={link.end}>
              {link.label}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
