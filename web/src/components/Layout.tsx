import { NavLink, Outlet } from "react-router";
import { isAdmin, useMe } from "../auth/session";
import { Suspense } from "react";
import { NotificationBell } from "./NotificationBell";
import { LiveToasts } from "../live/LiveToasts";
import { RealityCheck } from "../play/RealityCheck";
import { TermsBanner } from "../compliance/AcceptTerms";
import { LedgerStatus, LedgerWatch } from "../checkpoints/LedgerWatch";

export function Layout() {
  const me = useMe();
  const user = me.data;
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="site-header">
        <nav aria-label="Main" className="container nav">
          <NavLink to="/" className="brand" end>
            ALOT!
          </NavLink>
          <ul>
            <li>
              <NavLink to="/" end>
                Lots
              </NavLink>
            </li>
            {user ? (
              <>
                <li>
                  <NavLink to="/me/entries">My entries</NavLink>
                </li>
                <li>
                  <NavLink to="/me/credits">Credits</NavLink>
                </li>
                <li>
                  <NavLink to="/host">{user.roles.includes("host") ? "Host" : "Become a host"}</NavLink>
                </li>
                {isAdmin(user) && (
                  <li>
                    <NavLink to="/admin">Admin</NavLink>
                  </li>
                )}
                <li>
                  <NotificationBell />
                </li>
                <li>
                  <NavLink to="/account" aria-label={`Account (${user.username})`}>
                    {user.username}
                  </NavLink>
                </li>
              </>
            ) : (
              <>
                <li>
                  <NavLink to="/login">Log in</NavLink>
                </li>
                <li>
                  <NavLink to="/register" className="button small">
                    Sign up
                  </NavLink>
                </li>
              </>
            )}
          </ul>
        </nav>
      </header>
      <main id="main" className="container" tabIndex={-1}>
        <LedgerWatch />
        <TermsBanner />
        <Suspense fallback={<p role="status">Loading…</p>}>
          <Outlet />
        </Suspense>
      </main>
      <LiveToasts />
      {user && <RealityCheck />}
      <footer className="site-footer container">
        <p>
          Every draw is provably fair: recompute it yourself from the published proof.{" "}
          <a href="/docs">API</a> · <NavLink to="/terms">Terms</NavLink> ·{" "}
          <NavLink to="/privacy">Privacy</NavLink>
        </p>
        <p>
          <LedgerStatus />
        </p>
      </footer>
    </>
  );
}
