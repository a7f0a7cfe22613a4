// A player's responsible-play status for admins: limits and a time-out or
// self-exclusion, read only (nobody can lift a self-exclusion: there is no action).
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { formatCents } from "../lib/money";
import { formatDateTime } from "../me/format";
import { AdminProblem } from "./parts";

const money = (cents: number | null) => (cents === null ? "none" : formatCents(cents));

export function PlayStatusFacts({ userId }: { userId: string }) {
  const play = useQuery({
    queryKey: ["admin", "user", userId, "play"],
    queryFn: async () =>
      unwrap(await api.GET("/api/admin/users/{user_id}/play", { params: { path: { user_id: userId } } })),
  });
  if (play.isError) return <AdminProblem error={play.error} />;
  const data = play.data;
  if (!data) return null;
  const exclusion = data.exclusion;
  return (
    <section aria-label="Responsible play" data-testid="admin-play-status">
      <h3>Responsible play</h3>
      <dl className="facts">
        <dt>Break</dt>
        <dd>
          {exclusion
            ? `${exclusion.kind === "self_exclusion" ? "Self-excluded" : "Time-out"} until ${formatDateTime(exclusion.ends_at)} (cannot be lifted)`
            : "none"}
        </dd>
        <dt>Spend limits</dt>
        <dd>
          daily {money(data.limits.daily_cents)}, weekly {money(data.limits.weekly_cents)}, monthly{" "}
          {money(data.limits.monthly_cents)}
        </dd>
        {data.pending.length > 0 && (
          <>
            <dt>Waiting</dt>
            <dd>
              {data.pending
                .map((p) => `${p.period} ${money(p.limit_cents)} from ${formatDateTime(p.applies_at)}`)
                .join("; ")}
            </dd>
          </>
        )}
        <dt>Reality check</dt>
        <dd>{data.reality_check_minutes === null ? "off" : `every ${data.reality_check_minutes} minutes`}</dd>
      </dl>
    </section>
  );
}
