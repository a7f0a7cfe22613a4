// Record a free entry received by post (no purchase necessary): the admin types what
// the card says. The card's reference is unique per lot, so recording the same card
// twice records one entry (the platform answers the first).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import { ApiError } from "../api/problem";
import { Field } from "../components/Field";
import { AdminProblem } from "./parts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function PostalEntryForm({ lotId }: { lotId: string }) {
  const queryClient = useQueryClient();
  const [userId, setUserId] = useState("");
  const [receivedOn, setReceivedOn] = useState("");
  const [reference, setReference] = useState("");
  const [answer, setAnswer] = useState("");
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [done, setDone] = useState<string | null>(null);

  const record = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/api/admin/lots/{lot_id}/free-entries", {
          params: { path: { lot_id: lotId } },
          body: { user_id: userId.trim(), received_on: receivedOn, reference: reference.trim(), trivia_answer: answer },
        }),
      ),
    onSuccess: (entry) => {
      setDone(`Recorded: ticket #${entry.tickets_start} for the card ${entry.reference ?? ""} (ledger entry #${entry.ledger_seq}).`);
      setUserId("");
      setReference("");
      setAnswer("");
      void queryClient.invalidateQueries({ queryKey: ["admin", "lot", lotId] });
    },
  });

  const apiField = (field: string) => (record.error instanceof ApiError ? record.error.fieldMessage(field) : undefined);
  const fieldError = (field: string) => problems[field] ?? apiField(field);

  function submit(event: FormEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!UUID.test(userId.trim())) found.user_id = "The player's user id (from Users).";
    if (!receivedOn) found.received_on = "The day the card arrived.";
    if (!reference.trim()) found.reference = "The card's reference, e.g. its envelope number.";
    if (!answer.trim()) found.trivia_answer = "The answer written on the card.";
    setProblems(found);
    setDone(null);
    if (Object.keys(found).length > 0 || record.isPending) return;
    record.mutate();
  }

  return (
    <form onSubmit={submit} noValidate aria-label="Record a postal free entry">
      <Field label="Player's user id" value={userId} onChange={(e) => setUserId(e.target.value)} error={fieldError("user_id")} />
      <Field label="Received on" type="date" value={receivedOn} onChange={(e) => setReceivedOn(e.target.value)} error={fieldError("received_on")} />
      <Field
        label="Reference"
        value={reference}
        maxLength={100}
        onChange={(e) => setReference(e.target.value)}
        error={fieldError("reference")}
        hint="unique per lot: the same card twice is one entry"
      />
      <Field label="Answer on the card" value={answer} onChange={(e) => setAnswer(e.target.value)} error={fieldError("trivia_answer")} />
      <AdminProblem error={record.error} />
      {done && (
        <p className="alert ok" role="status">
          {done}
        </p>
      )}
      <div>
        <button type="submit" disabled={record.isPending}>
          {record.isPending ? "Recording…" : "Record postal entry"}
        </button>
      </div>
    </form>
  );
}
