// Mounted in the layout: checks the ledger once the app has loaded (and again when the
// tab comes back after a while), shows a fork loudly until the player dismisses it, and a
// small status in the footer. The checker and its crypto load after the page, on demand.
import { useEffect, useId, useState, useSyncExternalStore } from "react";
import { NavLink } from "react-router";
import { checkState, runLedgerCheck, subscribeCheck } from "./status";
import { dismissForks, emptyMemory, forkEvidenceDocument, readMemory, subscribeMemory, type ForkEvidence, type Memory } from "./store";
import "./checkpoints.css";

const RECHECK_MS = 5 * 60_000;
const EMPTY = emptyMemory();

export function useLedgerMemory(): Memory {
  return useSyncExternalStore(subscribeMemory, readMemory, () => EMPTY);
}

export function useLedgerCheck() {
  return useSyncExternalStore(subscribeCheck, checkState, checkState);
}

export function shortHash(hex: string): string {
  return hex.length > 16 ? `${hex.slice(0, 8)}…${hex.slice(-8)}` : hex;
}

export function downloadEvidence(fork: ForkEvidence, verifierKey: string | null) {
  const blob = new Blob([forkEvidenceDocument(fork, verifierKey)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `ledger-fork-${fork.remembered.size}-${fork.shown.size}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function EvidenceButtons({ fork, verifierKey }: { fork: ForkEvidence; verifierKey: string | null }) {
  const [copied, setCopied] = useState<"" | "copied" | "failed">("");
  return (
    <>
      <button type="button" onClick={() => downloadEvidence(fork, verifierKey)}>
        Download the evidence
      </button>{" "}
      <button
        type="button"
        className="secondary"
        onClick={() =>
          navigator.clipboard
            .writeText(forkEvidenceDocument(fork, verifierKey))
            .then(() => setCopied("copied"))
            .catch(() => setCopied("failed"))
        }
      >
        Copy the evidence
      </button>
      <span role="status">{copied === "copied" ? " Copied." : copied === "failed" ? " Could not copy: use Download." : ""}</span>
    </>
  );
}

function ForkBanner({ fork, verifierKey, others }: { fork: ForkEvidence; verifierKey: string | null; others: string[] }) {
  const heading = useId();
  return (
    <section role="alert" className="alert error fork-banner" aria-labelledby={heading}>
      <h2 id={heading}>The ledger has shown this browser two different histories</h2>
      <p>
        The ledger's key signed two checkpoints that cannot both be true ({fork.reason}). A ledger that shows different people
        different histories can hide or change what it recorded.
      </p>
      <dl className="fork-roots">
        <dt>Remembered by this browser</dt>
        <dd>
          size {fork.remembered.size}, root <code className="hash">{fork.remembered.root}</code>
        </dd>
        <dt>Shown now</dt>
        <dd>
          size {fork.shown.size}, root <code className="hash">{fork.shown.root}</code>
        </dd>
      </dl>
      <p>
        <strong>What to do:</strong> save the evidence (both signed checkpoints) and send it to an auditor or anyone who checks
        this platform; the ledger's own signatures prove it. Until it is explained, do not rely on draws or balances shown here.
      </p>
      <p className="fork-actions">
        <EvidenceButtons fork={fork} verifierKey={verifierKey} />{" "}
        <NavLink to="/ledger">{others.length ? `See the ledger page (${others.length} more)` : "See the ledger page"}</NavLink>{" "}
        <button type="button" className="secondary" onClick={() => dismissForks([fork.id, ...others])}>
          Dismiss
        </button>
      </p>
    </section>
  );
}

/** The fork banners (top of the page) and the check on load. */
export function LedgerWatch() {
  const memory = useLedgerMemory();
  useEffect(() => {
    let lastRun = 0;
    const run = () => {
      lastRun = Date.now();
      void runLedgerCheck();
    };
    // After the page has rendered: the check never delays what the player came for.
    const timer = setTimeout(run, 0);
    const onVisible = () => {
      if (document.visibilityState === "visible" && Date.now() - lastRun > RECHECK_MS) run();
    };
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, []);
  const open = memory.forks.filter((f) => !f.dismissed);
  // The latest fork, loudly; others (the other history growing) are on the Ledger page.
  const latest = open[open.length - 1];
  if (!latest) return null;
  return (
    <ForkBanner
      fork={latest}
      verifierKey={memory.ledgers[latest.origin]?.verifierKey ?? null}
      others={open.slice(0, -1).map((f) => f.id)}
    />
  );
}

/** One line in the footer: what this browser knows of the ledger, linking to /ledger. */
export function LedgerStatus() {
  const memory = useLedgerMemory();
  const { last, checking } = useLedgerCheck();
  let text: string;
  let tone = "";
  const remembered = Object.values(memory.ledgers)
    .map((l) => l.checkpoint)
    .filter((c) => c !== null);
  if (memory.forks.length) {
    text = "Ledger: two histories seen (a fork)";
    tone = "bad";
  } else if (last?.kind === "checked" && (last.outcome.kind === "unverified" || last.outcome.kind === "unchecked")) {
    text = `Ledger: the latest checkpoint could not be checked`;
    tone = "warn";
  } else if (last?.kind === "checked" && last.outcome.checkpoint) {
    const c = last.outcome.checkpoint;
    text = `Ledger: checkpoint ${c.size} checked · ${c.witnesses.length ? `witnessed by ${c.witnesses.length}` : "not witnessed"}`;
  } else if (checking) {
    text = "Ledger: checking…";
  } else if (last?.kind === "no_checkpoint") {
    text = "Ledger: no signed checkpoint yet";
  } else if (last?.kind === "error") {
    text = "Ledger: not checked (could not reach it)";
    tone = "warn";
  } else if (remembered.length) {
    text = `Ledger: checkpoint ${remembered[0]!.size} remembered`;
  } else {
    text = "Ledger";
  }
  return (
    <NavLink to="/ledger" className={`ledger-status ${tone}`} data-testid="ledger-status">
      {text}
    </NavLink>
  );
}
