// The one API client: typed from the OpenAPI document (schema.d.ts), same origin,
// authenticated by the platform's httpOnly session cookies. Tokens never reach script:
// the only cookie this code reads is the CSRF token, echoed in X-CSRF-Token on
// state-changing requests (the server checks it is this session's).
//
// An expired access token is refreshed once, transparently, and the request retried;
// when the session cannot be refreshed, listeners of `onSessionExpired` are told (the
// app sends the player to log in and back).
import createClient from "openapi-fetch";
import type { paths } from "./schema";
import { ApiError, type Problem } from "./problem";

const CSRF_COOKIE = "alot_csrf";
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
// These answer 401 for a wrong password or a dead token: never refresh-and-retry them.
const NO_REFRESH = ["/api/auth/login", "/api/auth/refresh", "/api/auth/logout", "/api/auth/register"];

export function csrfToken(): string | null {
  if (typeof document === "undefined") return null;
  for (const part of document.cookie.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(value.join("="));
  }
  return null;
}

function withCsrf(request: Request): Request {
  if (SAFE.has(request.method)) return request;
  const token = csrfToken();
  if (!token) return request;
  const headers = new Headers(request.headers);
  headers.set("X-CSRF-Token", token);
  return new Request(request, { headers });
}

type Listener = () => void;
const expiredListeners = new Set<Listener>();

/** Called when a request needed a session that could not be refreshed. */
export function onSessionExpired(listener: Listener): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

let refreshing: Promise<boolean> | null = null;

/** One refresh at a time: parallel 401s wait for the same attempt. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= fetch("/api/auth/refresh", {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRF-Token": csrfToken() ?? "" },
  })
    .then((response) => response.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

async function sessionFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  const response = await fetch(withCsrf(input));
  const path = new URL(input.url).pathname;
  if (response.status !== 401 || NO_REFRESH.includes(path)) return response;
  if (!(await refreshSession())) {
    expiredListeners.forEach((listener) => listener());
    return response;
  }
  return fetch(withCsrf(retry));
}

export const api = createClient<paths>({
  baseUrl: typeof window === "undefined" ? "http://localhost" : window.location.origin,
  credentials: "same-origin",
  fetch: sessionFetch,
});

/** The data of an openapi-fetch result, or an ApiError carrying the problem+json. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) {
    throw ApiError.from(result.response, result.error as Problem | undefined);
  }
  return result.data as T;
}

/** A fresh key for one intended action (a purchase, a refund choice): retries of that
 * action reuse it, so the server does it once however many times the request arrives. */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
