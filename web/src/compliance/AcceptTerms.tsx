// Accepting the current terms and privacy notice again (after a new version): a banner
// for the logged-in player whose acceptance is not current, and the same panel where a
// purchase was refused with `terms_not_accepted`.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Link } from "react-router";
import { api, unwrap } from "../api/client";
import { ProblemAlert } from "../components/ProblemAlert";
import { ME_KEY, useMe } from "../auth/session";
import { TERMS_KEY, fetchTerms, needsAcceptance } from "./terms";

export function AcceptTermsPanel({ onAccepted }: { onAccepted?: () => void }) {
  const queryClient = useQueryClient();
  const terms = useQuery({ queryKey: TERMS_KEY, queryFn: fetchTerms, staleTime: 60_000 });
  const accept = useMutation({
    mutationFn: async () => {
      const current = await queryClient.fetchQuery({ queryKey: TERMS_KEY, queryFn: fetchTerms });
      return unwrap(
        await api.POST("/api/users/me/terms", {
          body: { terms_version: current.terms.version, privacy_version: current.privacy.version },
        }),
      );
    },
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: ME_KEY });
      onAccepted?.();
    },
    // An outdated version means new terms were published meanwhile: read them again.
    onError: () => void queryClient.invalidateQueries({ queryKey: TERMS_KEY }),
  });
  const data = terms.data;
  return (
    <section className="alert info stack" aria-labelledby="accept-terms-title" role="region">
      <h2 id="accept-terms-title" style={{ margin: 0, fontSize: "1.1rem" }}>
        Our terms have changed
      </h2>
      <p style={{ margin: 0 }}>
        Please read the{" "}
        <Link to="/terms" target="_blank">
          Terms{data ? ` (version ${data.terms.version})` : ""}
        </Link>{" "}
        and the{" "}
        <Link to="/privacy" target="_blank">
          Privacy notice{data ? ` (version ${data.privacy.version})` : ""}
        </Link>{" "}
        and accept them before your next purchase.
      </p>
      <ProblemAlert error={accept.error ?? terms.error} />
      <div>
        <button type="button" disabled={accept.isPending || !data} onClick={() => accept.mutate()}>
          {accept.isPending ? "Accepting…" : "I accept the Terms and the Privacy notice"}
        </button>
      </div>
    </section>
  );
}

/** Shown above every page while the logged-in player's acceptance is not current. */
export function TermsBanner() {
  const me = useMe();
  if (!me.data || !needsAcceptance(me.data.terms)) return null;
  return <AcceptTermsPanel />;
}
