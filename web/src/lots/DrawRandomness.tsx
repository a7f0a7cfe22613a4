// What fixes a lot's draw randomness, as the lot declared it when it opened: a drand
// chain (the round is fixed at funding), or a plain warning for a lot declared without
// a public beacon.
import { drawRandomness } from "./format";

export function DrawRandomness({ lot }: { lot: { draw_beacon: { chain_name: string } | null; beacon_less: boolean } }) {
  const randomness = drawRandomness(lot);
  if (randomness.kind === "undeclared") return null;
  return (
    <div className={randomness.kind === "beacon_less" ? "alert info" : undefined} data-testid="draw-randomness">
      <p style={{ margin: 0 }}>
        <strong>{randomness.text}</strong>
      </p>
      <p className="muted" style={{ margin: "0.25rem 0 0" }}>
        {randomness.detail}
      </p>
    </div>
  );
}
