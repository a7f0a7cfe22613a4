import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { ConfirmDialog } from "../../admin/ConfirmDialog";
import { formatMoment } from "../../admin/datetime";
import { Crumbs, PagedTable, useCursorPages } from "../../admin/parts";
import { retryOutcome, taskLabel, type Task } from "../../admin/tasks";

/** The platform's dead letters: background tasks that failed on every attempt, each
 * retried by hand once its cause is fixed (docs/platform/admin.md). */
export default function TasksPage() {
  const queryClient = useQueryClient();
  const pages = useCursorPages();
  const [retrying, setRetrying] = useState<Task | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const failed = useQuery({
    queryKey: ["admin", "tasks", "failed", pages.cursor],
    queryFn: async () =>
      unwrap(await api.GET("/api/admin/tasks/failed", { params: { query: { limit: 25, cursor: pages.cursor } } })),
    placeholderData: keepPreviousData,
  });

  const retry = useMutation({
    mutationFn: async (task: Task) =>
      unwrap(await api.POST("/api/admin/tasks/{task_id}/retry", { params: { path: { task_id: task.id } } })),
    onSuccess: (task) => {
      setNotice(`Retried: ${retryOutcome(task)}`);
      setRetrying(null);
      void queryClient.invalidateQueries({ queryKey: ["admin", "tasks"] });
      void queryClient.invalidateQueries({ queryKey: ["admin", "overview"] });
    },
  });

  return (
    <section aria-labelledby="tasks-title" className="stack">
      <Crumbs trail={[{ to: "/admin/tasks", label: "Background tasks" }]} />
      <h1 id="tasks-title">Background tasks</h1>
      <p className="muted">
        The platform does its background work (draws and settlements, payment events, emails) after the change that
        calls for it, and tries again with backoff when it fails. A task that failed on every attempt stops here until
        an admin retries it: fix the cause first (its last error says what went wrong). Retrying work that in fact
        happened does nothing twice. On the server, <code>alot tasks failed</code> and <code>alot tasks retry</code> do
        the same.
      </p>
      {notice && (
        <p role="status" className="alert ok">
          {notice}
        </p>
      )}

      <h2>Failed tasks</h2>
      <PagedTable
        label="Failed tasks"
        query={failed}
        pages={pages}
        caption="The latest to fail first"
        columns={["Task", "Key", "Attempts", "Last error", "Failed", "Action"]}
        empty="No failed tasks: every background task has succeeded or is still being tried."
        row={(task) => (
          <tr key={task.id}>
            <td className="wrap">{taskLabel(task)}</td>
            <td className="mono wrap">{task.key}</td>
            <td>{task.attempts}</td>
            <td className="mono wrap task-error">{task.last_error ?? "—"}</td>
            <td>{formatMoment(task.next_attempt_at)}</td>
            <td>
              <button
                type="button"
                className="secondary small"
                onClick={() => {
                  retry.reset();
                  setNotice(null);
                  setRetrying(task);
                }}
                aria-label={`Retry ${task.key}`}
              >
                Retry
              </button>
            </td>
          </tr>
        )}
      />

      <ConfirmDialog
        open={retrying !== null}
        title="Retry this task?"
        confirmLabel="Retry task"
        busy={retry.isPending}
        error={retry.error}
        onConfirm={() => retrying && retry.mutate(retrying)}
        onCancel={() => setRetrying(null)}
      >
        {retrying && (
          <>
            <p>
              <strong>{taskLabel(retrying)}</strong> (<span className="mono">{retrying.key}</span>) gets a new round of
              attempts and runs now. If it fails again it is retried with backoff, and comes back to this list after
              failing on every attempt.
            </p>
            {retrying.last_error && (
              <p>
                It last failed with: <span className="mono">{retrying.last_error}</span>
              </p>
            )}
          </>
        )}
      </ConfirmDialog>
    </section>
  );
}
