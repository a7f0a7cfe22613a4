// /terms: the terms players accept, with the version the server names as current
// (ALOT_TERMS_VERSION). Change the text here and the version there together.
import { useQuery } from "@tanstack/react-query";
import { Link } from "react-router";
import { TERMS_KEY, fetchTerms } from "../compliance/terms";

export default function TermsPage() {
  const terms = useQuery({ queryKey: TERMS_KEY, queryFn: fetchTerms, staleTime: 60_000 });
  return (
    <article className="stack legal-page" aria-labelledby="terms-title">
      <h1 id="terms-title">Terms</h1>
      <p className="muted">Version {terms.data?.terms.version ?? "…"}</p>

      <h2>What ALOT! is</h2>
      <p>
        ALOT! runs prize draws. Each lot offers one prize; tickets are numbered in the order they are
        sold, and when the lot is funded a provably fair draw picks the winning ticket. You can check
        every draw yourself from its published proof. Players must be 18 or older.
      </p>

      <h2>No purchase necessary</h2>
      <p>
        Every lot has a free entry route. A free entry gets a ticket in the same sequence as a paid
        one, with exactly the same odds of winning. Buying tickets never improves the odds of a
        ticket; it only adds tickets.
      </p>

      <h2>Paying and refunds</h2>
      <p>
        Prices are shown before you pay. If a lot is not funded by its deadline, you choose a refund
        in cash or in credits. Credits stay yours.
      </p>

      <h2>Playing within limits</h2>
      <p>
        You can set daily, weekly and monthly spending limits, take a time-out, or exclude yourself
        for months or years. A time-out or a self-exclusion cannot be ended early, not even by us.
        We may ask you to verify your identity before card payments, and we offer the draws only in
        the countries we are allowed to.
      </p>

      <h2>Your data</h2>
      <p>
        The <Link to="/privacy">Privacy notice</Link> says what we keep and why. You can download
        everything we hold about you and ask us to erase it; the ledger of payments keeps only ids
        and amounts, because the law and every other player's proof depend on it.
      </p>

      <h2>Changes</h2>
      <p>
        When these terms change we publish a new version here and ask you to accept it before your
        next purchase.
      </p>
    </article>
  );
}
