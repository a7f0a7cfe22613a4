import { describe, expect, it } from "vitest";
import { drawRandomness } from "../../src/lots/format";

describe("how a lot's draw randomness is fixed", () => {
  it("names the declared drand chain, fixed at funding", () => {
    const shown = drawRandomness({ draw_beacon: { chain_name: "quicknet" }, beacon_less: false });
    expect(shown.kind).toBe("beacon");
    expect(shown.kind === "beacon" && shown.text).toBe("Randomness: drand quicknet round, fixed at funding");
  });

  it("warns plainly about a lot declared without a beacon", () => {
    const shown = drawRandomness({ draw_beacon: null, beacon_less: true });
    expect(shown.kind).toBe("beacon_less");
    expect(shown.kind === "beacon_less" && shown.text).toBe(
      "Declared at opening without a public beacon: the operator could predict this draw",
    );
  });

  it("says nothing for a lot not open yet or opened before declarations", () => {
    expect(drawRandomness({ draw_beacon: null, beacon_less: false })).toEqual({ kind: "undeclared" });
  });
});
