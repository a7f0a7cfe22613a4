// Log in (cookie session). Comes back to `?next=` (a path on this site only) or home.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/problem";
import { Field } from "../../components/Field";
import type { LoginState } from "../../auth/actions";
import { FormError } from "../../auth/FormError";
import { fieldError, useFocusFirstInvalid } from "../../auth/forms";
import { ResendButton, ResendForm } from "../../auth/ResendVerification";
import { safeNext } from "../../auth/safeNext";
import { fetchMe, ME_KEY, useMe, type Me } from "../../auth/session";
import { formatWait, useCountdown } from "../../auth/useCountdown";
import "../../auth/auth.css";
import { EmailField } from "../../auth/EmailField";

const REASONS: Record<string, string> = {
  password_changed: "Your password is changed and every device was logged out. Log in with your new password.",
  password_reset: "Your new password is set. Log in with it.",
  logged_out_everywhere: "You're logged out on every device.",
  account_deleted: "Your account is deleted and you're signed out everywhere.",
};

export default function LoginPage() {
  const [params] = useSearchParams();
  const next = safeNext(params.get("next"));
  const state = (useLocation().state ?? {}) as LoginState;
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const me = useMe();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [unverified, setUnverified] = useState<Me | null>(null);
  const form = useRef<HTMLFormElement>(null);

  const login = useMutation({
    mutationFn: async () => {
      unwrap(
        await api.POST("/api/auth/login", {
          body: { email: email.trim(), password, transport: "cookie" },
        }),
      );
      // Whoever was cached before (another player, or nobody) is gone.
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== ME_KEY[0] });
      return queryClient.fetchQuery({ queryKey: ME_KEY, queryFn: fetchMe, staleTime: 0 });
    },
    onSuccess: (player) => {
      if (player && !player.verified_email) setUnverified(player);
      else navigate(next, { replace: true });
    },
  });
  useFocusFirstInvalid(form, login.error);
  const throttled = login.error instanceof ApiError && login.error.code === "login_throttled";
  const wait = useCountdown(throttled ? ((login.error as ApiError).retryAfter ?? 60) : null);
  const notVerified = login.error instanceof ApiError && login.error.code === "email_not_verified";

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!login.isPending && wait === 0) login.mutate();
  };

  if (unverified) {
    return (
      <section className="auth-page" aria-labelledby="login-title">
        <h1 id="login-title">Confirm your email</h1>
        <p>
          You're logged in as <strong>{unverified.username}</strong>, but your email address{" "}
          <strong>{unverified.email}</strong> isn't confirmed yet. Open the link we emailed you to
          confirm it: you need a confirmed address to buy tickets.
        </p>
        <ResendButton />
        <p className="auth-actions">
          <Link to={next} className="button">
            Continue
          </Link>
        </p>
      </section>
    );
  }

  // Sent here because the session ended (the player is forgotten a moment later):
  // straight to the form, not "you're logged in".
  const sentToLogIn = state.expired || state.reason;
  if (me.data && !sentToLogIn && !login.isPending && !login.isSuccess) {
    return (
      <section className="auth-page" aria-labelledby="login-title">
        <h1 id="login-title">You're logged in</h1>
        <p>
          You're logged in as <strong>{me.data.username}</strong>.
        </p>
        <p className="auth-actions">
          <Link to={next} className="button">
            Continue
          </Link>
          <Link to="/account">Your account</Link>
        </p>
      </section>
    );
  }

  return (
    <section className="auth-page" aria-labelledby="login-title">
      <h1 id="login-title">Log in</h1>
      {state.expired && (
        <p role="status" className="alert info">
          Your session expired. Log in again to carry on where you were.
        </p>
      )}
      {state.reason && REASONS[state.reason] && (
        <p role="status" className="alert ok">
          {REASONS[state.reason]}
        </p>
      )}
      <form ref={form} onSubmit={submit} noValidate>
        <EmailField value={email} onChange={(event) => setEmail(event.target.value)} error={login.error} />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
          error={fieldError(login.error, "password")}
        />
        {throttled ? (
          <>
            {/* Announced once; the countdown beside it is not a live region. */}
            <p role="alert" className="alert error">
              Too many attempts for this account from here. Wait{" "}
              {formatWait((login.error as ApiError).retryAfter ?? 60)}, then try again.
            </p>
            <p className="muted">{wait > 0 ? `You can try again in ${formatWait(wait)}.` : "You can try again now."}</p>
          </>
        ) : (
          <FormError error={login.error} />
        )}
        <div className="auth-actions">
          <button type="submit" disabled={login.isPending || wait > 0}>
            {login.isPending ? "Logging in…" : "Log in"}
          </button>
          <Link to="/forgot-password">Forgot your password?</Link>
        </div>
      </form>
      {notVerified && (
        <div className="stack">
          <h2>Confirm your email</h2>
          <p>We can send the confirmation link again.</p>
          <ResendForm initialEmail={email.trim()} />
        </div>
      )}
      <p>
        New to ALOT!? <Link to="/register">Create an account</Link>
      </p>
    </section>
  );
}
