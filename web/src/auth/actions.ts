// Ending sessions from the browser. The cookies are httpOnly: only the API can clear
// them, so each action asks it to, then forgets the player on this page (the `me`
// query and anything cached for them) once the screen has moved on.
import { useMutation, useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { useNavigate, type NavigateOptions } from "react-router";
import { api, unwrap } from "../api/client";
import { ME_KEY } from "./session";

/** Why the login page was opened, to say so there (history state, not the URL). */
export type LoginReason = "password_changed" | "password_reset" | "logged_out_everywhere" | "account_deleted";
export type LoginState = { expired?: boolean; reason?: LoginReason };

/** Forget the player in this tab: the `me` query says nobody, their data is dropped. */
export function forgetPlayer(queryClient: QueryClient) {
  queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== ME_KEY[0] });
  queryClient.setQueryData(ME_KEY, null);
}

/** Go to `to`, then forget the player once the page calling this is gone.
 *
 * In that order because a page that needs a login, still on screen, would see nobody
 * logged in and send to log in itself (losing the reason the new page shows). The
 * router's update is a transition that waits for the next page's code, while a change
 * to the `me` query renders at once: so the player is forgotten when this component
 * unmounts, which is when the next page has replaced it. */
export function useLeaveAndForget() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const leaving = useRef(false);
  useEffect(
    () => () => {
      if (leaving.current) forgetPlayer(queryClient);
    },
    [queryClient],
  );
  return async (to: string, options?: NavigateOptions) => {
    leaving.current = true;
    await navigate(to, options);
  };
}

/** Log out on this device: POST /api/auth/logout, then home. */
export function useLogout() {
  const leave = useLeaveAndForget();
  return useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/auth/logout")),
    onSuccess: () => leave("/", { replace: true }),
  });
}

/** Log out on every device (this one too): POST /api/auth/logout-everywhere. */
export function useLogoutEverywhere() {
  const leave = useLeaveAndForget();
  return useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/auth/logout-everywhere")),
    onSuccess: () =>
      leave("/login", { replace: true, state: { reason: "logged_out_everywhere" } satisfies LoginState }),
  });
}
