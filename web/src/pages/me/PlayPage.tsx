// Responsible play: the player's spend limits (what is spent and left in each period,
// and raises waiting their 24 hours), a time-out or self-exclusion (confirmed in a
// dialog that says it cannot be undone), and the reality-check reminder.
import { useEffect, useState, type FormEvent } from "react";
import { ConfirmDialog } from "../../admin/ConfirmDialog";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatCents } from "../../lib/money";
import { formatDateTime } from "../../me/format";
import { MeNav } from "../../me/MeNav";
import {
  centsFromInput,
  inputFromCents,
  PERIOD_WORDS,
  usePlay,
  useSelfExclude,
  useSetLimits,
  useSetRealityCheck,
  useTimeOut,
  type Period,
  type PlayStatus,
} from "../../play/api";
import "../../me/me.css";
import "../../play/play.css";

const PERIODS: Period[] = ["daily", "weekly", "monthly"];

export default function PlayPage() {
  const play = usePlay();
  return (
    <section aria-labelledby="play-title" className="stack">
      <MeNav />
      <h1 id="play-title">Responsible play</h1>
      <p className="muted">
        Set how much you can spend, take a break, or have us remind you how long you have been playing.
      </p>
      {play.isPending && <p role="status">Loading your settings…</p>}
      {play.isError && <ProblemAlert error={play.error} />}
      {play.data && (
        <>
          <Exclusion status={play.data} />
          <Limits status={play.data} />
          <Breaks status={play.data} />
          <RealityCheckSetting status={play.data} />
        </>
      )}
    </section>
  );
}

function Exclusion({ status }: { status: PlayStatus }) {
  const exclusion = status.exclusion;
  if (!exclusion) return null;
  const what = exclusion.kind === "self_exclusion" ? "self-exclusion" : "time-out";
  return (
    <p className="alert error" role="status" data-testid="exclusion-status">
      You are on a {what} until {formatDateTime(exclusion.ends_at)}. You cannot buy tickets until then, and it
      cannot be ended early. Your credits stay yours.
    </p>
  );
}

function Limits({ status }: { status: PlayStatus }) {
  const setLimits = useSetLimits();
  // A raise waiting its 24 hours is what the player asked for: the form shows it.
  const wanted = (period: Period) => {
    const waiting = status.pending.find((p) => p.period === period);
    return inputFromCents(waiting ? waiting.limit_cents : status.limits[`${period}_cents`]);
  };
  const [values, setValues] = useState<Record<Period, string>>(() => ({
    daily: wanted("daily"),
    weekly: wanted("weekly"),
    monthly: wanted("monthly"),
  }));
  const [invalid, setInvalid] = useState<Period | null>(null);

  function save(event: FormEvent) {
    event.preventDefault();
    const cents = PERIODS.map((period) => [period, centsFromInput(values[period])] as const);
    const bad = cents.find(([, value]) => value !== null && (Number.isNaN(value) || value <= 0));
    setInvalid(bad ? bad[0] : null);
    if (bad) return;
    const body = Object.fromEntries(cents.map(([period, value]) => [`${period}_cents`, value]));
    setLimits.mutate(body as { daily_cents: number | null; weekly_cents: number | null; monthly_cents: number | null });
  }

  return (
    <section className="card stack" aria-labelledby="limits-title">
      <h2 id="limits-title">Spend limits</h2>
      <p className="muted">
        Limits count the cash you pay for tickets (not credits) per UTC day, week (from Monday) and calendar month.
        A lower limit applies at once; a higher one, or removing one, applies 24 hours later. Refunds don't give
        room back.
      </p>
      <table className="play-periods" aria-label="Spending per period">
        <thead>
          <tr>
            <th scope="col">Period</th>
            <th scope="col">Limit</th>
            <th scope="col">Spent</th>
            <th scope="col">Left</th>
            <th scope="col">Resets</th>
          </tr>
        </thead>
        <tbody>
          {status.periods.map((p) => (
            <tr key={p.period} data-testid={`period-${p.period}`}>
              <th scope="row">{PERIOD_WORDS[p.period]}</th>
              <td>{p.limit_cents === null ? "No limit" : formatCents(p.limit_cents)}</td>
              <td>{formatCents(p.spent_cents)}</td>
              <td>{p.remaining_cents === null ? "—" : formatCents(p.remaining_cents)}</td>
              <td>{formatDateTime(p.resets_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {status.pending.length > 0 && (
        <ul aria-label="Changes waiting" data-testid="pending-limits">
          {status.pending.map((p) => (
            <li key={p.period}>
              Your {p.period} limit becomes {p.limit_cents === null ? "no limit" : formatCents(p.limit_cents)} on{" "}
              {formatDateTime(p.applies_at)}.
            </li>
          ))}
        </ul>
      )}
      <form className="stack" onSubmit={save}>
        <div className="play-limits">
          {PERIODS.map((period) => (
            <div className="field" key={period}>
              <label htmlFor={`limit-${period}`}>{PERIOD_WORDS[period]} limit ($)</label>
              <input
                id={`limit-${period}`}
                inputMode="decimal"
                placeholder="No limit"
                value={values[period]}
                aria-invalid={invalid === period ? true : undefined}
                onChange={(event) => setValues({ ...values, [period]: event.target.value })}
              />
              {invalid === period && <small className="field-error">Enter an amount in dollars, or leave it empty.</small>}
            </div>
          ))}
        </div>
        <ProblemAlert error={setLimits.error} />
        {setLimits.isSuccess && (
          <p role="status" className="alert ok">
            Saved.
          </p>
        )}
        <div>
          <button type="submit" disabled={setLimits.isPending}>
            {setLimits.isPending ? "Saving…" : "Save limits"}
          </button>
        </div>
      </form>
    </section>
  );
}

type Break = { kind: "time_out"; hours: number } | { kind: "self_exclusion"; months: number };

function Breaks({ status }: { status: PlayStatus }) {
  const timeOut = useTimeOut();
  const selfExclude = useSelfExclude();
  const [hours, setHours] = useState(24);
  const [months, setMonths] = useState(6);
  const [asking, setAsking] = useState<Break | null>(null);
  const busy = timeOut.isPending || selfExclude.isPending;
  const error = asking?.kind === "time_out" ? timeOut.error : selfExclude.error;

  useEffect(() => {
    if (window.location.hash === "#time-out") document.getElementById("time-out")?.scrollIntoView();
  }, []);

  function confirm() {
    if (!asking) return;
    const done = { onSuccess: () => setAsking(null) };
    if (asking.kind === "time_out") timeOut.mutate(asking.hours, done);
    else selfExclude.mutate(asking.months, done);
  }

  return (
    <section className="card stack" aria-labelledby="breaks-title" id="time-out">
      <h2 id="breaks-title">Take a break</h2>
      <p className="muted">
        During a break you cannot buy tickets of any kind and we send you no marketing email. It cannot be ended
        early or shortened, by you or by us; you can only make it longer. Your credits stay yours.
        {status.exclusion && " You are on a break now: a new one must end later than it."}
      </p>
      <div className="row">
        <div className="field">
          <label htmlFor="time-out-hours">Time-out</label>
          <select id="time-out-hours" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
            <option value={24}>24 hours</option>
            <option value={72}>3 days</option>
            <option value={168}>1 week</option>
            <option value={336}>2 weeks</option>
            <option value={1008}>6 weeks</option>
          </select>
        </div>
        <button type="button" className="secondary" onClick={() => setAsking({ kind: "time_out", hours })}>
          Take a time-out
        </button>
      </div>
      <div className="row">
        <div className="field">
          <label htmlFor="self-exclusion-months">Self-exclusion</label>
          <select id="self-exclusion-months" value={months} onChange={(e) => setMonths(Number(e.target.value))}>
            <option value={6}>6 months</option>
            <option value={12}>1 year</option>
            <option value={24}>2 years</option>
            <option value={60}>5 years</option>
          </select>
        </div>
        <button type="button" className="danger" onClick={() => setAsking({ kind: "self_exclusion", months })}>
          Exclude myself
        </button>
      </div>
      <ConfirmDialog
        open={asking !== null}
        title={asking?.kind === "self_exclusion" ? "Exclude yourself?" : "Take a time-out?"}
        confirmLabel={asking?.kind === "self_exclusion" ? "Exclude me" : "Start my time-out"}
        danger
        busy={busy}
        error={error}
        onConfirm={confirm}
        onCancel={() => setAsking(null)}
      >
        <p>
          {asking?.kind === "self_exclusion"
            ? `For ${asking.months} months you will not be able to buy tickets.`
            : `For ${asking?.kind === "time_out" ? asking.hours : 0} hours you will not be able to buy tickets.`}
        </p>
        <p>
          <strong>This cannot be undone:</strong> nobody can end it early, not even our support team.
        </p>
      </ConfirmDialog>
    </section>
  );
}

function RealityCheckSetting({ status }: { status: PlayStatus }) {
  const setReality = useSetRealityCheck();
  const [minutes, setMinutes] = useState<string>(String(status.reality_check_minutes ?? ""));
  return (
    <section className="card stack" aria-labelledby="reality-title">
      <h2 id="reality-title">Reality check</h2>
      <p className="muted">
        A reminder, while you use ALOT! in this browser, of how long you have been here and how much cash you spent
        today.
      </p>
      <form
        className="row"
        onSubmit={(event) => {
          event.preventDefault();
          setReality.mutate(minutes === "" ? null : Number(minutes));
        }}
      >
        <div className="field">
          <label htmlFor="reality-minutes">Remind me</label>
          <select id="reality-minutes" value={minutes} onChange={(e) => setMinutes(e.target.value)}>
            <option value="">Never</option>
            <option value="15">Every 15 minutes</option>
            <option value="30">Every 30 minutes</option>
            <option value="60">Every hour</option>
            <option value="120">Every 2 hours</option>
          </select>
        </div>
        <button type="submit" className="secondary" disabled={setReality.isPending}>
          Save reminder
        </button>
      </form>
      <ProblemAlert error={setReality.error} />
      {setReality.isSuccess && (
        <p role="status" className="alert ok">
          {status.reality_check_minutes === null ? "Reminders are off." : `Reminding you every ${status.reality_check_minutes} minutes.`}
        </p>
      )}
    </section>
  );
}
