// The account page's identity check: shown when the platform asks for one before cash
// purchases. The sandbox verifies at once; Stripe Identity continues on Stripe's page
// and comes back to /account (the webhook marks the account verified).
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { ProblemAlert } from "../components/ProblemAlert";
import { ME_KEY, type Me } from "../auth/session";
import { TERMS_KEY, fetchTerms } from "./terms";

export function IdentityCheck({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  const terms = useQuery({ queryKey: TERMS_KEY, queryFn: fetchTerms, staleTime: 60_000 });
  const start = useMutation({
    mutationFn: async () => unwrap(await api.POST("/api/users/me/identity")),
    onSuccess: async (check) => {
      if (check.status === "verified") {
        await queryClient.invalidateQueries({ queryKey: ME_KEY });
        return;
      }
      window.location.assign(check.url);
    },
  });
  const rule = terms.data?.identity_required ?? "never";
  if (rule === "never" && !me.verified_identity) return null;
  return (
    <section aria-labelledby="identity-title" className="card stack" id="identity">
      <h2 id="identity-title">Identity check</h2>
      {me.verified_identity ? (
        <p role="status" className="alert ok">
          Your identity is verified.
        </p>
      ) : (
        <>
          <p>
            {rule === "first_cash_purchase"
              ? "Before you pay by card, we need to check your identity (a photo of an ID document, with our identity provider)."
              : "Once your card payments pass a set total, we need to check your identity (a photo of an ID document, with our identity provider)."}{" "}
            We keep only the outcome; the document stays with the provider.
          </p>
          <ProblemAlert error={start.error} />
          <div>
            <button type="button" disabled={start.isPending} onClick={() => start.mutate()}>
              {start.isPending ? "Starting…" : "Verify my identity"}
            </button>
          </div>
        </>
      )}
    </section>
  );
}
