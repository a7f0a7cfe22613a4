// "Send the link again": a new verification email, to the logged-in player's address or,
// with `email`, to the address typed (no login needed). The API answers the same for
// every address, so this says the same whatever happens next.
import { useMutation } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import { FormError } from "./FormError";
import { useFocusFirstInvalid } from "./forms";
import { EmailField } from "./EmailField";

function useResend() {
  return useMutation({
    // With an address: to it (no login needed). Without: to the logged-in player's own.
    mutationFn: async (to: { email?: string }) =>
      unwrap(
        await api.POST("/api/auth/verify-email/resend", to.email === undefined ? {} : { body: { email: to.email } }),
      ),
  });
}

function Sent() {
  return (
    <p role="status" className="alert ok">
      If the address still needs confirming, a new link is on its way. It can take a minute; check
      your spam folder too.
    </p>
  );
}

/** A button that resends the link: to `email`, or to the logged-in player's address. */
export function ResendButton({ email, label = "Send the link again" }: { email?: string; label?: string }) {
  const resend = useResend();
  return (
    <div className="stack">
      <div>
        <button
          type="button"
          className="secondary"
          disabled={resend.isPending}
          onClick={() => resend.mutate(email === undefined ? {} : { email })}
        >
          {resend.isPending ? "Sending…" : label}
        </button>
      </div>
      {resend.isSuccess && <Sent />}
      <FormError error={resend.error} />
    </div>
  );
}

/** A small form asking for the address to send a new link to (for a logged-out player). */
export function ResendForm({ initialEmail = "" }: { initialEmail?: string }) {
  const resend = useResend();
  const [email, setEmail] = useState(initialEmail);
  const form = useRef<HTMLFormElement>(null);
  useFocusFirstInvalid(form, resend.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    resend.mutate({ email: email.trim() });
  };
  return (
    <form ref={form} onSubmit={submit} noValidate aria-label="Send a new confirmation link">
      <EmailField value={email} onChange={(event) => setEmail(event.target.value)} error={resend.error} />
      <FormError error={resend.error} />
      {resend.isSuccess && <Sent />}
      <div>
        <button type="submit" disabled={resend.isPending}>
          {resend.isPending ? "Sending…" : "Send a new link"}
        </button>
      </div>
    </form>
  );
}
