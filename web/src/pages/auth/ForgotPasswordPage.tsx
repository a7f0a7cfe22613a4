// /forgot-password: asks for a reset link. The answer is the same whether or not the
// address has an account, and the page says exactly that.
import { useMutation } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, unwrap } from "../../api/client";
import { FormError } from "../../auth/FormError";
import { useFocusFirstInvalid } from "../../auth/forms";
import "../../auth/auth.css";
import { EmailField } from "../../auth/EmailField";

export default function ForgotPasswordPage() {
  const [email, setEmail] = useState("");
  const form = useRef<HTMLFormElement>(null);
  const request = useMutation({
    mutationFn: async (address: string) =>
      unwrap(await api.POST("/api/auth/password-reset/request", { body: { email: address } })),
  });
  useFocusFirstInvalid(form, request.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!request.isPending) request.mutate(email.trim());
  };

  if (request.isSuccess) {
    return (
      <section className="auth-page" aria-labelledby="forgot-title">
        <h1 id="forgot-title">Check your email</h1>
        <p role="status" className="alert ok">
          If an account uses <strong>{request.variables}</strong>, we've sent it a link to choose a new
          password.
        </p>
        <p>The link works once, for one hour. Nothing arrived? Check your spam folder, or ask again.</p>
        <p className="auth-actions">
          <button type="button" className="secondary" onClick={() => request.reset()}>
            Ask again
          </button>
          <Link to="/login">Back to log in</Link>
        </p>
      </section>
    );
  }

  return (
    <section className="auth-page" aria-labelledby="forgot-title">
      <h1 id="forgot-title">Forgot your password?</h1>
      <p>Type the email address of your account and we'll send you a link to choose a new password.</p>
      <form ref={form} onSubmit={submit} noValidate>
        <EmailField value={email} onChange={(event) => setEmail(event.target.value)} error={request.error} />
        <FormError error={request.error} />
        <div className="auth-actions">
          <button type="submit" disabled={request.isPending}>
            {request.isPending ? "Sending…" : "Send the link"}
          </button>
          <Link to="/login">Back to log in</Link>
        </div>
      </form>
    </section>
  );
}
