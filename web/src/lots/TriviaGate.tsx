// The skill gate: the lot's question, the attempts left and, after too many wrong
// answers, the cooldown counting down to the moment the player may answer again.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useState, type FormEvent } from "react";
import { api, unwrap } from "../api/client";
import { ProblemAlert } from "../components/ProblemAlert";
import { fetchTrivia, triviaKey, type TriviaStatus } from "./api";
import { clock } from "./format";
import { useNow } from "./useNow";

export function TriviaGate({ lotId, children }: { lotId: string; children: (status: TriviaStatus) => React.ReactNode }) {
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: triviaKey(lotId), queryFn: () => fetchTrivia(lotId) });
  const [answer, setAnswer] = useState("");
  const [wrong, setWrong] = useState(false);
  const ids = useId();
  const now = useNow();

  const attempt = useMutation({
    mutationFn: async (text: string) =>
      unwrap(await api.POST("/api/lots/{lot_id}/trivia/attempt", { params: { path: { lot_id: lotId } }, body: { answer: text } })),
    onSuccess: (result) => {
      queryClient.setQueryData(triviaKey(lotId), result.status);
      setWrong(!result.correct);
      if (!result.correct) setAnswer("");
    },
    onError: () => void queryClient.invalidateQueries({ queryKey: triviaKey(lotId) }),
  });

  const until = status.data?.cooldown_until ? Date.parse(status.data.cooldown_until) : null;
  const coolingDown = until !== null && until > now;
  // When the countdown ends, ask again: a new round of attempts starts.
  useEffect(() => {
    if (until === null) return;
    const wait = until - Date.now();
    if (wait <= 0) return;
    const timer = window.setTimeout(() => void queryClient.invalidateQueries({ queryKey: triviaKey(lotId) }), wait + 500);
    return () => window.clearTimeout(timer);
  }, [until, lotId, queryClient]);

  if (status.isPending) return <p role="status">Loading the question…</p>;
  if (status.isError) return <ProblemAlert error={status.error} />;
  const trivia = status.data;
  if (trivia.passed) return <>{children(trivia)}</>;

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (!answer.trim() || attempt.isPending) return;
    attempt.mutate(answer);
  }

  return (
    <section className="card stack" aria-labelledby={`${ids}-title`}>
      <h2 id={`${ids}-title`} style={{ margin: 0 }}>
        Answer to enter
      </h2>
      <p className="muted" style={{ margin: 0 }}>A skill question stands between you and the tickets: answer it correctly once to buy.</p>
      {coolingDown ? (
        <div className="alert info" role="status">
          <p style={{ margin: 0 }}>Too many wrong answers. You can try again in</p>
          <p className="countdown" role="timer" aria-live="off" aria-label="Time until you can answer again">
            {clock((until - now) / 1000)}
          </p>
          <p style={{ margin: 0 }}>
            ({new Date(until).toLocaleString([], { weekday: "long", hour: "2-digit", minute: "2-digit" })}).
          </p>
        </div>
      ) : (
        wrong && (
          <p role="alert" className="alert error">
            Not quite. {trivia.attempts_left === 1 ? "1 attempt left" : `${trivia.attempts_left} attempts left`} before a cooldown.
          </p>
        )
      )}
      <form className="panel-form" onSubmit={onSubmit}>
        <div className="field">
          <label htmlFor={`${ids}-answer`}>{trivia.question}</label>
          <input
            id={`${ids}-answer`}
            value={answer}
            onChange={(event) => setAnswer(event.target.value)}
            disabled={coolingDown}
            autoComplete="off"
            maxLength={255}
            aria-describedby={`${ids}-left`}
          />
          <small id={`${ids}-left`} className="hint">
            {coolingDown
              ? "Answering is paused until the countdown ends."
              : `Attempts left: ${trivia.attempts_left} of ${trivia.attempts_per_round}.`}
          </small>
        </div>
        <ProblemAlert error={attempt.error} />
        <div>
          <button type="submit" disabled={coolingDown || attempt.isPending || !answer.trim()}>
            {attempt.isPending ? "Checking…" : "Submit answer"}
          </button>
        </div>
      </form>
    </section>
  );
}
