// /privacy: the privacy notice players accept, with the version the server names as
// current (ALOT_PRIVACY_VERSION). Change the text here and the version there together.
import { useQuery } from "@tanstack/react-query";
import { TERMS_KEY, fetchTerms } from "../compliance/terms";

export default function PrivacyPage() {
  const terms = useQuery({ queryKey: TERMS_KEY, queryFn: fetchTerms, staleTime: 60_000 });
  return (
    <article className="stack legal-page" aria-labelledby="privacy-title">
      <h1 id="privacy-title">Privacy notice</h1>
      <p className="muted">Version {terms.data?.privacy.version ?? "…"}</p>

      <h2>What we keep</h2>
      <p>
        Your email, username, date of birth (to check your age; stored encrypted), your full name and
        a delivery address if you give them (encrypted), the country you declared, your entries,
        payments and credits, and which versions of our terms you accepted and when.
      </p>

      <h2>Why</h2>
      <p>
        To run the draws you enter, deliver prizes, pay refunds, keep the public ledger that proves
        every draw fair, and meet the law on age, identity and country checks. Card details stay with
        our payment provider; identity documents stay with our identity provider, and we keep only
        whether the check passed.
      </p>

      <h2>Your rights</h2>
      <p>
        You can download everything we hold about you and ask us to delete your account. Deleting
        erases your personal data; the ledger keeps ids and amounts only, because other players'
        proofs and the law depend on it.
      </p>
    </article>
  );
}
