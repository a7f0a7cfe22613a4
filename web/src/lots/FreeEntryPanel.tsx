// Free entry (no purchase necessary): one ticket, the same chance to win as a paid one,
// once per lot or per the lot's period. Shown after the trivia, as buying is. ONE
// Idempotency-Key per intended entry, replaced after success, so a double click enters
// once; the player's standing (my-odds) says whether the period allows one now.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useRef, useState, type FormEvent } from "react";
import { api, newIdempotencyKey, unwrap } from "../api/client";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatBps } from "../lib/money";
import { MY_ENTRIES_KEY, fetchMyOdds, lotKey, myLotEntriesKey, myOddsKey, type FreeEntry, type Lot } from "./api";
import { freeEntryRule, freeEntryWait, plural, ticketRange } from "./format";
import { useNow } from "./useNow";

/** The caller's own odds now, from the platform (every ticket counts the same). */
export function MyOddsLine({ lotId }: { lotId: string }) {
  const odds = useQuery({ queryKey: myOddsKey(lotId), queryFn: () => fetchMyOdds(lotId) });
  if (!odds.data) return null;
  const o = odds.data;
  if (!o.my_odds) return <p data-testid="my-odds">You hold no tickets yet.</p>;
  return (
    <p data-testid="my-odds" style={{ margin: 0 }}>
      Your odds now: <strong>{o.my_odds}</strong> ({formatBps(o.my_chance_bps)}) with {plural(o.my_tickets, "ticket")}
      {o.my_free_tickets > 0 ? `, ${plural(o.my_free_tickets, "free ticket")} included` : ""}.
    </p>
  );
}

export function FreeEntryPanel({ lot }: { lot: Lot }) {
  const queryClient = useQueryClient();
  const ids = useId();
  const now = useNow();
  const odds = useQuery({ queryKey: myOddsKey(lot.id), queryFn: () => fetchMyOdds(lot.id) });
  const key = useRef<string>(newIdempotencyKey());
  const inFlight = useRef(false);
  const [entered, setEntered] = useState<FreeEntry | null>(null);

  const enter = useMutation({
    mutationFn: async (idempotencyKey: string) =>
      unwrap(
        await api.POST("/api/lots/{lot_id}/free-entries", {
          params: { path: { lot_id: lot.id }, header: { "Idempotency-Key": idempotencyKey } },
        }),
      ),
    onSuccess: (entry) => {
      key.current = newIdempotencyKey(); // a later period's entry is another one
      setEntered(entry);
      void queryClient.invalidateQueries({ queryKey: lotKey(lot.id) });
      void queryClient.invalidateQueries({ queryKey: myOddsKey(lot.id) });
      void queryClient.invalidateQueries({ queryKey: myLotEntriesKey(lot.id) });
      void queryClient.invalidateQueries({ queryKey: MY_ENTRIES_KEY });
    },
    onSettled: () => {
      inFlight.current = false;
      void queryClient.invalidateQueries({ queryKey: myOddsKey(lot.id) });
    },
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    if (enter.isPending || inFlight.current) return;
    inFlight.current = true;
    enter.mutate(key.current);
  }

  const wait = odds.data ? freeEntryWait(odds.data.free_entry, now) : null;
  return (
    <form className="card stack panel-form" onSubmit={submit} aria-labelledby={`${ids}-free`} data-testid="free-entry">
      <h3 id={`${ids}-free`} style={{ margin: 0 }}>
        Free entry (no purchase necessary)
      </h3>
      <p style={{ margin: 0 }}>
        Enter without paying: a free entry gets <strong>one ticket with exactly the same chance to win as a paid
        ticket</strong>. It is numbered with the paid tickets and drawn the same way.{" "}
        {`${freeEntryRule(lot.free_entry_period_days)}; you can also enter by post.`}
      </p>
      {entered && (
        <p className="alert ok" role="status" style={{ margin: 0 }}>
          You're in for free: your ticket is <strong>{ticketRange(entered.tickets_start, entered.tickets_end)}</strong>.
        </p>
      )}
      {wait && <p className="muted" style={{ margin: 0 }}>{wait}</p>}
      <ProblemAlert error={enter.error} />
      <div>
        <button type="submit" className="secondary" disabled={enter.isPending || wait !== null}>
          {enter.isPending ? "Entering…" : "Enter for free"}
        </button>
      </div>
    </form>
  );
}
