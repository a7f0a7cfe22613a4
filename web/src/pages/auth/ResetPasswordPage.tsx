// /reset-password?token=...: the link from the reset email. A new password (typed twice),
// then log in with it. The reset ends every session, this browser's too.
import { useMutation } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { ApiError } from "../../api/problem";
import { useLeaveAndForget, type LoginState } from "../../auth/actions";
import { FormError } from "../../auth/FormError";
import { useFocusFirstInvalid } from "../../auth/forms";
import { NewPasswordFields } from "../../auth/NewPasswordFields";
import "../../auth/auth.css";

export default function ResetPasswordPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const leave = useLeaveAndForget();
  const reset = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST("/api/auth/password-reset/confirm", { body: { token, new_password: password } })),
    onSuccess: () => leave("/login", { replace: true, state: { reason: "password_reset" } satisfies LoginState }),
  });
  useFocusFirstInvalid(form, reset.error ?? (mismatch ? "mismatch" : null));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (reset.isPending) return;
    const differs = password !== confirm;
    setMismatch(differs);
    if (!differs) reset.mutate();
  };

  const deadLink = !token || (reset.error instanceof ApiError && reset.error.status === 401);
  if (deadLink) {
    return (
      <section className="auth-page" aria-labelledby="reset-title">
        <h1 id="reset-title">This link doesn't work</h1>
        <p role="alert" className="alert error">
          {token
            ? "This password reset link has expired or was already used. Links work once, for one hour."
            : "This password reset link is incomplete: open the whole link from the email."}
        </p>
        <p className="auth-actions">
          <Link to="/forgot-password" className="button">
            Ask for a new link
          </Link>
        </p>
      </section>
    );
  }

  return (
    <section className="auth-page" aria-labelledby="reset-title">
      <h1 id="reset-title">Choose a new password</h1>
      <p>Every device logged in to your account will be logged out.</p>
      <form ref={form} onSubmit={submit} noValidate>
        <NewPasswordFields
          password={password}
          confirm={confirm}
          onPassword={setPassword}
          onConfirm={setConfirm}
          mismatch={mismatch}
          error={reset.error}
        />
        <FormError error={reset.error} />
        <div>
          <button type="submit" disabled={reset.isPending}>
            {reset.isPending ? "Saving…" : "Set new password"}
          </button>
        </div>
      </form>
    </section>
  );
}
