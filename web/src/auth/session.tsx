// Who is logged in, from GET /api/users/me (the session itself lives in httpOnly
// cookies the script cannot read). `null` means nobody; the query is refetched after
// login and logout.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, type ReactNode } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { api, csrfToken, onSessionExpired, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { ApiError } from "../api/problem";

export type Me = components["schemas"]["UserRead"];
export const ME_KEY = ["me"] as const;

export async function fetchMe(): Promise<Me | null> {
  // Login sets the readable CSRF cookie for as long as the session can be refreshed:
  // without it nobody is logged in, and asking would only log a 401 in the console.
  if (!csrfToken()) return null;
  try {
    return unwrap(await api.GET("/api/users/me"));
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}

export function useMe() {
  return useQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: 60_000 });
}

export function isAdmin(me: Me | null | undefined): boolean {
  return !!me && me.roles.includes("admin");
}

/** Where to come back to after logging in: the page the player was on. */
export function loginPath(from: { pathname: string; search: string }): string {
  const next = from.pathname + from.search;
  return next === "/" || next.startsWith("/login") ? "/login" : `/login?next=${encodeURIComponent(next)}`;
}

/** Sends the player to log in (and back) when the session expires mid-flow. */
export function SessionExpiryWatcher() {
  const navigate = useNavigate();
  const location = useLocation();
  const queryClient = useQueryClient();
  // Set when the player is being sent to log in; they are forgotten (the `me` query
  // says nobody) once the login page is on screen. Sooner, a protected page still on
  // screen would send to log in itself, without the "expired" note: the router's
  // update is a transition that waits for the next page's code, a `me` update is not.
  const leaving = useRef(false);
  useEffect(() => {
    if (!leaving.current) return;
    leaving.current = false;
    queryClient.setQueryData(ME_KEY, null);
  }, [location, queryClient]);
  useEffect(
    () =>
      onSessionExpired(() => {
        if (!queryClient.getQueryData(ME_KEY)) {
          queryClient.setQueryData(ME_KEY, null);
          return;
        }
        if (leaving.current) return; // parallel requests failing together: one trip
        leaving.current = true;
        void navigate(loginPath(location), { state: { expired: true } });
      }),
    [navigate, location, queryClient],
  );
  return null;
}

/** Renders its children for a logged-in player; otherwise sends them to log in and back. */
export function RequireAuth({ children, admin = false }: { children: ReactNode; admin?: boolean }) {
  const me = useMe();
  const location = useLocation();
  if (me.isPending) return <p role="status">Loading…</p>;
  if (me.isError) return <p role="alert">We couldn't check your session. Reload to try again.</p>;
  if (!me.data) return <Navigate to={loginPath(location)} replace />;
  if (admin && !isAdmin(me.data)) {
    return (
      <section aria-labelledby="forbidden-title">
        <h1 id="forbidden-title">Admins only</h1>
        <p>This page is for the ALOT! team. Your account doesn't have access to it.</p>
      </section>
    );
  }
  return <>{children}</>;
}
