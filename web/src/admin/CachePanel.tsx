// The cache's hit and miss counts on the admin desk (GET /api/admin/cache;
// docs/platform/caching.md): one row per family of cached reads, refreshed on demand.
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { ProblemAlert } from "../components/ProblemAlert";
import { TableScroll } from "../components/TableScroll";

type Family = components["schemas"]["CacheFamilyRead"];

const FAMILY_WORDS: Record<string, string> = {
  lot: "Lot views",
  lot_list: "Lot lists",
  leaderboard: "Leaderboards",
  balance: "Credit balances",
  draw: "Settled draws",
};

/** "97.5%", or "—" before any read. */
export function hitRate(family: Pick<Family, "hit_rate">): string {
  return family.hit_rate === null ? "—" : `${(family.hit_rate * 100).toFixed(1)}%`;
}

export function CachePanel() {
  const stats = useQuery({
    queryKey: ["admin", "cache"],
    queryFn: async () => unwrap(await api.GET("/api/admin/cache")),
  });

  return (
    <section className="card" aria-labelledby="cache-title" style={{ gridColumn: "1 / -1" }}>
      <h3 id="cache-title">Cache</h3>
      {stats.isPending && <p role="status">Loading…</p>}
      <ProblemAlert error={stats.error} />
      {stats.data && (
        <>
          <p className="muted" style={{ margin: "0 0 0.5rem" }}>
            {!stats.data.enabled
              ? "Off (ALOT_CACHE_ENABLED=false): every read goes to the database."
              : stats.data.backend === "redis"
                ? "In Redis: the counts of every API process together, since they began."
                : "In this process's memory: its own counts, since it started."}
          </p>
          <TableScroll label="Cache hits and misses">
            <table>
              <thead>
                <tr>
                  <th scope="col">Reads</th>
                  <th scope="col">Hits</th>
                  <th scope="col">Misses</th>
                  <th scope="col">Hit rate</th>
                </tr>
              </thead>
              <tbody>
                {stats.data.families.map((family) => (
                  <tr key={family.family}>
                    <th scope="row">{FAMILY_WORDS[family.family] ?? family.family}</th>
                    <td>{family.hits.toLocaleString("en-US")}</td>
                    <td>{family.misses.toLocaleString("en-US")}</td>
                    <td>{hitRate(family)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableScroll>
        </>
      )}
      <p>
        <button type="button" className="secondary" onClick={() => void stats.refetch()} disabled={stats.isFetching}>
          Refresh the counts
        </button>
      </p>
    </section>
  );
}
