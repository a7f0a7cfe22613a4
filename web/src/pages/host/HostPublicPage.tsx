// A host's public page: its profile and its public lots (never private ones).
import { useQuery } from "@tanstack/react-query";
import { useParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { ProblemAlert } from "../../components/ProblemAlert";
import { LotCard } from "../../lots/LotCard";
import "../../lots/lots.css";

export default function HostPublicPage() {
  const { hostId = "" } = useParams();
  const host = useQuery({
    queryKey: ["hosts", hostId],
    queryFn: async () => unwrap(await api.GET("/api/hosts/{host_id}", { params: { path: { host_id: hostId } } })),
  });
  const lots = useQuery({
    queryKey: ["hosts", hostId, "lots"],
    queryFn: async () =>
      unwrap(await api.GET("/api/hosts/{host_id}/lots", { params: { path: { host_id: hostId }, query: { limit: 50 } } })),
    enabled: host.isSuccess,
  });
  if (host.isPending) return <p role="status">Loading…</p>;
  if (host.isError) return <ProblemAlert error={host.error} />;
  const h = host.data;
  return (
    <section aria-labelledby="host-public-title" className="stack">
      <h1 id="host-public-title">{h.display_name}</h1>
      {h.description && <p>{h.description}</p>}
      <p className="muted">
        {h.country}
        {h.website_url && (
          <>
            {" · "}
            <a href={h.website_url} rel="noopener noreferrer">
              Website
            </a>
          </>
        )}
        {` · ${h.stats.lots_created} lots`}
      </p>
      <h2>Lots</h2>
      <ProblemAlert error={lots.error} />
      {lots.data && lots.data.items.length === 0 && <p>No lots open right now.</p>}
      {lots.data && lots.data.items.length > 0 && (
        <ul className="grid lot-list" aria-label="Lots" style={{ listStyle: "none", padding: 0, margin: 0 }}>
          {lots.data.items.map((lot) => (
            <li key={lot.id}>
              <LotCard lot={lot} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
