// Pseudonymous holders (#19): on a lot with `pseudonymous_holders`, the public draw proof
// names each player by a pseudonym for that lot only, which only that player is told (on
// their entries). These pieces show it the same way on every page: short in tables, the
// full 64 hex characters one hover or one screen-reader announcement away.

/** First 12 hex characters and an ellipsis: enough to tell players apart on one lot. */
export const shortHolder = (holder: string): string => `${holder.slice(0, 12)}…`;

/** A holder pseudonym, shortened; the full value is its title and its accessible name. */
export function Holder({ holder }: { holder: string }) {
  return (
    <abbr className="mono holder" title={holder} data-holder={holder}>
      {shortHolder(holder)}
    </abbr>
  );
}

/** The distinct pseudonyms of the player's entries in one lot (one per player and lot). */
export const holdersOf = (entries: { holder: string | null }[]): string[] => [...new Set(entries.flatMap((e) => (e.holder ? [e.holder] : [])))];

/** "In this lot's draw proof you appear as <holder>", in full so the player can search for it. */
export function YouAppearAs({ holders }: { holders: string[] }) {
  if (holders.length === 0) return null;
  return (
    <p className="holder-note" data-testid="you-appear-as">
      In this lot's draw proof you appear as{" "}
      {holders.map((holder, i) => (
        <span key={holder}>
          {i > 0 ? " and " : ""}
          <code className="mono">{holder}</code>
        </span>
      ))}
      <span className="muted"> (a pseudonym for this lot only; nobody else is told it is you).</span>
    </p>
  );
}

/** What the lot page says about how its draw proof names players. */
export function PseudonymNote({ lot }: { lot: { pseudonymous_holders: boolean } }) {
  if (!lot.pseudonymous_holders) return null;
  return (
    <p className="muted" data-testid="pseudonym-note">
      The public draw proof names players by a pseudonym for this lot only, not by account: each player is told
      their own pseudonym (under My tickets), so you can find yourself in the proof and nobody can follow you from
      one lot to another.
    </p>
  );
}
