// Free entries in the ticket map (docs/spec/draw.md, "Entry kinds"): the browser
// verifier reads the kind, commits to it in the ticket map root, and checks that a free
// entry holds one ticket; a paid entry's leaf is what it always was.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DrawProofFormatError, entryLeaf, tilingProblems, verifyDrawProof } from "../../src/verify";

const vectors = resolve(import.meta.dirname, "..", "..", "..", "docs", "spec", "vectors");
const read = (name: string) => JSON.parse(readFileSync(join(vectors, name), "utf8"));
const v2 = read("draw-alot-v2.json").vectors.find((v: { name: string }) => v.name === "free-entries").proof;
const v1Vectors: { entries: { kind?: string }[] }[] = read("draw-alot-v1.json").vectors;
const v1 = v1Vectors.find((v) => v.entries.some((e) => e.kind === "free"));

const failed = (r: { steps: { id: string; status: string }[] }) => r.steps.filter((s) => s.status === "fail").map((s) => s.id);

describe("free entries", () => {
  it("verifies the vectors holding free entries, won by a free ticket", async () => {
    for (const proof of [v2, v1]) {
      const result = await verifyDrawProof(proof);
      expect(result.ok).toBe(true);
      const winning = proof.entries.find(
        (e: { tickets_start: number; tickets_end: number }) => e.tickets_start <= result.winningTicket && result.winningTicket <= e.tickets_end,
      );
      expect(winning.kind).toBe("free");
    }
  });

  it("commits to the kind: calling a free entry paid breaks the ticket map root", async () => {
    const tampered = structuredClone(v2);
    delete tampered.entries[1].kind;
    expect(failed(await verifyDrawProof(tampered))).toEqual(["ticket_map_root"]);
  });

  it("refuses an unknown kind as malformed", async () => {
    for (const kind of ["paid", null, "FREE"]) {
      const tampered = structuredClone(v2);
      tampered.entries[0].kind = kind;
      await expect(verifyDrawProof(tampered)).rejects.toThrow(DrawProofFormatError);
    }
  });

  it("checks a free entry holds exactly one ticket", () => {
    const user = "669f0154-7979-495b-b848-23cffcabb07d";
    expect(tilingProblems([{ user_id: user, tickets_start: 1, tickets_end: 2, kind: "free" }], 2)).toEqual([
      "entries[0] is a free entry holding tickets 1-2: a free entry holds exactly one ticket",
    ]);
    expect(tilingProblems([{ user_id: user, tickets_start: 1, tickets_end: 2 }], 2)).toEqual([]);
  });

  it("leaves a paid entry's leaf as it was", () => {
    const user = "669f0154-7979-495b-b848-23cffcabb07d";
    const text = (e: Parameters<typeof entryLeaf>[0]) => new TextDecoder().decode(entryLeaf(e));
    expect(text({ user_id: user, tickets_start: 1, tickets_end: 3 })).toBe(`{"tickets_end":3,"tickets_start":1,"user_id":"${user}"}`);
    expect(text({ user_id: user, tickets_start: 4, tickets_end: 4, kind: "free" })).toBe(
      `{"kind":"free","tickets_end":4,"tickets_start":4,"user_id":"${user}"}`,
    );
  });
});
