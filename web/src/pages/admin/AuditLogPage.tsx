import { keepPreviousData, useMutation, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { formatMoment } from "../../admin/datetime";
import { Crumbs, PagedTable, useCursorPages } from "../../admin/parts";
import { ProblemAlert } from "../../components/ProblemAlert";
import { actionLabel, detailsText, saveText } from "../../admin/auditLog";

/** The hash-chained log of admin and host actions (docs/spec/audit-log.md): each page
 * says whether its entries chain; the export is what `alot-verify audit-log` checks. */
export default function AuditLogPage() {
  const pages = useCursorPages();
  const log = useQuery({
    queryKey: ["admin", "audit-log", pages.cursor],
    queryFn: async () =>
      unwrap(await api.GET("/api/audit/log", { params: { query: { limit: 25, cursor: pages.cursor, newest_first: true } } })),
    placeholderData: keepPreviousData,
  });
  const download = useMutation({
    mutationFn: async () => {
      const { response } = await api.GET("/api/audit/log/export", { parseAs: "text" });
      if (!response.ok) throw new Error(`the export failed (${response.status})`);
      return response.clone().text();
    },
    onSuccess: (text) => saveText(text, "audit-log.jsonl"),
  });

  return (
    <section aria-labelledby="audit-title" className="stack">
      <Crumbs trail={[{ to: "/admin/audit-log", label: "Audit log" }]} />
      <h1 id="audit-title">Audit log</h1>
      <p className="muted">
        Every admin and host action (roles, account status, lots opened and extended, refunds started, disputes resolved,
        host reviews, payouts), appended with the action itself and chained by hash, so no entry can be changed or
        removed unnoticed. Auditors download it and run <code>alot-verify audit-log audit-log.jsonl</code>.
      </p>
      {log.data && (
        <p role="status" className={log.data.chain_ok ? "alert ok" : "alert error"}>
          {log.data.chain_ok
            ? "Chain verified: every entry on this page hashes correctly and links to the one before it."
            : "Chain broken on this page: an entry does not match its hash. Export the log and check it."}
        </p>
      )}
      <p>
        <button type="button" className="secondary" onClick={() => download.mutate()} disabled={download.isPending}>
          Download the log (JSON Lines)
        </button>
      </p>
      <ProblemAlert error={download.error} />
      <PagedTable
        label="Audit log entries"
        query={log}
        pages={pages}
        caption="Newest first"
        columns={["Seq", "When", "Actor", "Action", "Target", "Details", "Hash"]}
        empty="No admin or host action yet."
        row={(entry) => (
          <tr key={entry.seq}>
            <td>{entry.seq}</td>
            <td>{formatMoment(entry.at)}</td>
            <td className="mono wrap">
              {entry.actor_id ?? "the platform"}
              {entry.actor_roles.length > 0 && <span className="muted"> ({entry.actor_roles.join(", ")})</span>}
            </td>
            <td>{actionLabel(entry.action)}</td>
            <td className="mono wrap">
              {entry.target_type} {entry.target_id ?? ""}
            </td>
            <td className="mono wrap">{detailsText(entry.details)}</td>
            <td className="mono" title={entry.hash}>
              {entry.hash.slice(0, 12)}…
            </td>
          </tr>
        )}
      />
    </section>
  );
}
