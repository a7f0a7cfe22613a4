import { formatBps } from "../lib/money";

/** Funding progress as a labelled progressbar (basis points: 10000 = fully funded). */
export function FundingBar({ bps, label }: { bps: number; label: string }) {
  const clamped = Math.max(0, Math.min(10000, bps));
  return (
    <div
      className="funding-bar"
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.floor(clamped / 100)}
      aria-valuetext={`${formatBps(bps)} funded`}
    >
      <span style={{ width: `${clamped / 100}%` }} />
    </div>
  );
}
