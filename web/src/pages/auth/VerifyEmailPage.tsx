// /verify?token=...: the link from the verification email. Confirms the address as the
// page opens (once: a query keyed by the token, never retried), then offers the next step.
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/problem";
import { ProblemAlert } from "../../components/ProblemAlert";
import { ResendButton, ResendForm } from "../../auth/ResendVerification";
import { ME_KEY, useMe } from "../../auth/session";
import "../../auth/auth.css";

export default function VerifyEmailPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const queryClient = useQueryClient();
  const me = useMe();
  const verify = useQuery({
    queryKey: ["verify-email", token],
    queryFn: async () => {
      unwrap(await api.POST("/api/auth/verify-email", { body: { token } }));
      return true;
    },
    enabled: token !== "",
    retry: false,
    staleTime: Infinity,
    gcTime: Infinity,
    refetchOnWindowFocus: false,
  });
  useEffect(() => {
    // A logged-in player's `me` now says the address is confirmed.
    if (verify.isSuccess) void queryClient.invalidateQueries({ queryKey: ME_KEY });
  }, [verify.isSuccess, queryClient]);

  if (token && verify.isPending) {
    return (
      <section className="auth-page" aria-labelledby="verify-title">
        <h1 id="verify-title">Confirming your email…</h1>
        <p role="status">Checking your link…</p>
      </section>
    );
  }

  if (verify.isSuccess) {
    return (
      <section className="auth-page" aria-labelledby="verify-title">
        <h1 id="verify-title">Your email is confirmed</h1>
        <p role="status" className="alert ok">
          Thanks: your address is confirmed. You can now buy tickets and play.
        </p>
        <p className="auth-actions">
          {me.data ? (
            <Link to="/" className="button">
              Continue to the lots
            </Link>
          ) : (
            <Link to="/login" className="button">
              Log in
            </Link>
          )}
        </p>
      </section>
    );
  }

  const deadLink = !token || (verify.error instanceof ApiError && verify.error.status === 401);
  const alreadyConfirmed = me.data?.verified_email === true;
  return (
    <section className="auth-page" aria-labelledby="verify-title">
      <h1 id="verify-title">{deadLink ? "This link doesn't work" : "We couldn't confirm your email"}</h1>
      {deadLink ? (
        <p role="alert" className="alert error">
          {token
            ? "This confirmation link has expired or was already used."
            : "This confirmation link is incomplete: open the whole link from the email."}
        </p>
      ) : (
        <ProblemAlert error={verify.error} />
      )}
      {alreadyConfirmed ? (
        <>
          <p>Your address is confirmed already: there's nothing more to do.</p>
          <p className="auth-actions">
            <Link to="/" className="button">
              Continue to the lots
            </Link>
          </p>
        </>
      ) : me.data ? (
        <>
          <p>
            We can send a new link to <strong>{me.data.email}</strong>.
          </p>
          <ResendButton label="Send me a new link" />
        </>
      ) : (
        <>
          <p>Type your email address and we'll send a new link if it still needs confirming.</p>
          <ResendForm />
          <p>
            Confirmed already? <Link to="/login">Log in</Link>
          </p>
        </>
      )}
    </section>
  );
}
