// A private lot reached by its link (/l/<token>): the lot, then its gate (the trivia
// question with the link's token, and the invite code when the host set one). Passing
// the gate lets the player see the lot's own page and buy in it.
import { useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useId, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router";
import { api, unwrap } from "../api/client";
import { loginPath, useMe } from "../auth/session";
import { ProblemAlert } from "../components/ProblemAlert";
import { formatCents } from "../lib/money";

export default function PrivateLotPage() {
  const { token = "" } = useParams();
  const location = useLocation();
  const navigate = useNavigate();
  const me = useMe();
  const ids = useId();
  const [answer, setAnswer] = useState("");
  const [inviteCode, setInviteCode] = useState("");
  const [wrong, setWrong] = useState(false);
  const lot = useQuery({
    queryKey: ["lot", "private", token],
    queryFn: async () => unwrap(await api.GET("/api/lots/private/{token}", { params: { path: { token } } })),
    retry: false,
  });
  const lotId = lot.data?.id;
  // Already through the gate (or the host, or an admin): the lot's own page.
  const status = useQuery({
    queryKey: ["lot", lotId, "trivia"],
    queryFn: async () =>
      unwrap(await api.GET("/api/lots/{lot_id}/trivia/status", { params: { path: { lot_id: lotId ?? "" } } })),
    enabled: Boolean(lotId && me.data),
    retry: false,
  });
  useEffect(() => {
    if (lotId && status.data?.passed) void navigate(`/lots/${lotId}`, { replace: true });
  }, [lotId, status.data, navigate]);

  const attempt = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/api/lots/{lot_id}/trivia/attempt", {
          params: { path: { lot_id: lotId ?? "" } },
          body: { answer, access_token: token, invite_code: inviteCode || null },
        }),
      ),
    onSuccess: (result) => {
      if (result.correct) void navigate(`/lots/${lotId}`);
      else {
        setWrong(true);
        setAnswer("");
      }
    },
  });

  if (lot.isPending) return <p role="status">Loading…</p>;
  if (lot.isError)
    return (
      <section className="stack">
        <h1>Lot not found</h1>
        <p>This link does not lead to an open lot. Check it with whoever shared it.</p>
      </section>
    );
  const data = lot.data;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (answer.trim()) attempt.mutate();
  }

  return (
    <section aria-labelledby={`${ids}-title`} className="stack">
      <h1 id={`${ids}-title`}>{data.title}</h1>
      <p className="muted">
        A private lot{data.host ? ` by ${data.host.display_name}` : ""}: {formatCents(data.retail_value_cents)} prize,{" "}
        {formatCents(data.funding.funded_cents)} of {formatCents(data.funding.target_cents)} funded.
      </p>
      {!me.data ? (
        <p>
          <Link to={loginPath(location)}>Log in</Link> to answer its question and enter.
        </p>
      ) : (
        <section className="card stack" aria-labelledby={`${ids}-gate`}>
          <h2 id={`${ids}-gate`} style={{ margin: 0 }}>
            Answer to enter
          </h2>
          {wrong && (
            <p role="alert" className="alert error">
              Not quite: the answer or the invite code is wrong.
            </p>
          )}
          <form className="panel-form" onSubmit={submit}>
            <div className="field">
              <label htmlFor={`${ids}-answer`}>{data.trivia_question}</label>
              <input id={`${ids}-answer`} value={answer} onChange={(e) => setAnswer(e.target.value)} autoComplete="off" />
            </div>
            <div className="field">
              <label htmlFor={`${ids}-code`}>Invite code (if the host gave you one)</label>
              <input id={`${ids}-code`} value={inviteCode} onChange={(e) => setInviteCode(e.target.value)} autoComplete="off" />
            </div>
            <ProblemAlert error={attempt.error} />
            <div>
              <button type="submit" disabled={attempt.isPending || !answer.trim()}>
                {attempt.isPending ? "Checking…" : "Submit answer"}
              </button>
            </div>
          </form>
        </section>
      )}
    </section>
  );
}
