// The in-browser verifier: pure TypeScript (no DOM), the same code in Vitest and the page.
export * from "./bytes";
export * from "./canonical";
export * from "./merkle";
export * from "./checkpoint";
export * from "./beacon";
export * from "./draw";
export * from "./ledger";
export * from "./steps";
export * from "./witness";
