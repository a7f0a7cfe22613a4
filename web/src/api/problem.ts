// Errors from the API arrive as problem+json (RFC 9457) with a stable `code`. The
// player reads `ApiError.message`: words for the codes a player can meet, the server's
// own `detail` otherwise (it is written for people too), and never a bare status.
import type { components } from "./schema";

export type Problem = components["schemas"]["Problem"];
export type FieldProblem = components["schemas"]["FieldProblem"];

const WORDS: Record<string, string> = {
  account_inactive: "This account is suspended. Contact support if you think this is a mistake.",
  country_not_allowed: "ALOT! isn't available in your country.",
  country_required: "Choose your country of residence.",
  csrf_failed: "Your session needs refreshing. Reload the page and try again.",
  email_not_verified: "Confirm your email address first: we sent you a link when you registered.",
  identity_required: "Verify your identity on your account page before paying by card.",
  idempotency_conflict: "That request was already sent with different details. Start again.",
  insufficient_credits: "You don't have enough credits for that.",
  invalid_credentials: "That email and password don't match an account.",
  invalid_token: "This link has expired or was already used. Ask for a new one.",
  login_throttled: "Too many attempts. Wait a few minutes, then try again.",
  lot_deadline_passed: "This lot has closed: its deadline has passed.",
  lot_not_found: "We couldn't find that lot.",
  lot_state_conflict: "This lot can't do that right now: its status has changed. Reload to see it.",
  missing_role: "You don't have access to that.",
  not_authenticated: "Please log in to continue.",
  payment_failed: "The payment didn't go through. Nothing was charged.",
  payment_provider_unavailable: "Payments are unavailable at the moment. Nothing was charged; try again soon.",
  rate_limited: "You're going a little fast. Wait a moment and try again.",
  refresh_token_reused: "For your safety this session was ended. Please log in again.",
  refund_choice_closed: "The time to choose a refund has passed.",
  terms_not_accepted: "Our terms have changed: accept the new version before buying.",
  terms_version_outdated: "The terms changed again while you were reading. Read the new version and accept it.",
  ticket_cap_exceeded: "That would take you past the most tickets one player may hold in this lot.",
  trivia_cooldown: "Too many wrong answers. Wait for the countdown, then try again.",
  trivia_not_passed: "Answer the lot's question correctly before buying tickets.",
  underage: "You must be at least 18 to play.",
  unknown_bundle: "That ticket bundle isn't offered for this lot any more. Reload and choose again.",
  username_taken: "That username is taken. Try another.",
  weak_password: "Choose a stronger password.",
  wrong_password: "Your current password is not right.",
};

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly fields: FieldProblem[];
  readonly requestId: string | null;
  readonly retryAfter: number | null;
  /** The whole problem, with its code's own facts (e.g. ``resets_at``). */
  readonly problem: Record<string, unknown>;

  constructor(status: number, problem: Partial<Problem>, retryAfter: number | null = null) {
    const code = problem.code ?? `http_${status}`;
    super(describe(status, code, problem.detail, problem as Record<string, unknown>));
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.detail = problem.detail ?? "";
    this.fields = problem.errors ?? [];
    this.requestId = problem.request_id ?? null;
    this.retryAfter = retryAfter;
    this.problem = problem as Record<string, unknown>;
  }

  static from(response: Response, body: unknown): ApiError {
    const problem = body && typeof body === "object" ? (body as Partial<Problem>) : {};
    const retry = Number(response.headers.get("Retry-After"));
    return new ApiError(response.status, problem, Number.isFinite(retry) && retry > 0 ? retry : null);
  }

  /** The message for one request field (by its last `loc` part), if the API named it. */
  fieldMessage(field: string): string | undefined {
    return this.fields.find((f) => f.loc[f.loc.length - 1] === field)?.message;
  }
}

const when = new Intl.DateTimeFormat("en-US", { dateStyle: "medium", timeStyle: "short" });
const dollars = new Intl.NumberFormat("en-US", { style: "currency", currency: "USD" });

/** Words built from a problem's facts, for the codes whose facts the player needs. */
const FROM_FACTS: Record<string, (problem: Record<string, unknown>) => string | null> = {
  spend_limit_exceeded: (p) => {
    const left = Number(p.remaining_cents);
    const resets = typeof p.resets_at === "string" ? when.format(new Date(p.resets_at)) : null;
    if (!Number.isSafeInteger(left) || !resets || typeof p.period !== "string") return null;
    return (
      `That would pass your ${p.period} spend limit: you have ${dollars.format(left / 100)} left` +
      ` until it resets on ${resets}.`
    );
  },
  play_excluded: (p) => {
    const ends = typeof p.ends_at === "string" ? when.format(new Date(p.ends_at)) : null;
    if (!ends) return null;
    const what = p.kind === "self_exclusion" ? "self-exclusion" : "time-out";
    return `You are on a ${what} until ${ends}: no purchases until then.`;
  },
};

function describe(status: number, code: string, detail: string | undefined, problem: Record<string, unknown> = {}): string {
  const facts = FROM_FACTS[code]?.(problem);
  if (facts) return facts;
  const words = WORDS[code];
  if (words) return words;
  if (status >= 500) return "Something went wrong on our side. Nothing was changed; please try again.";
  if (detail) return detail.charAt(0).toUpperCase() + detail.slice(1);
  return "That didn't work. Please try again.";
}

/** Words for any thrown value: an ApiError's message, or a network failure. */
export function errorMessage(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof TypeError) return "We couldn't reach ALOT!. Check your connection and try again.";
  return "Something went wrong. Please try again.";
}
