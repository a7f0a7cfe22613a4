// The admin's words for the platform's background tasks (docs/platform/admin.md,
// "Failed background tasks"): what a task does, and what a retry left it as.
import type { components } from "../api/schema";

export type Task = components["schemas"]["TaskRead"];

// What each handler does; an unknown one (a newer platform) shows its own name.
const TASK_WORDS: Record<string, string> = {
  draw: "Draw and settle a lot",
  payment_event: "Apply a payment event",
};

/** "Email: <subject>", "Draw and settle a lot", ... */
export function taskLabel(task: Pick<Task, "task" | "subject">): string {
  if (task.task === "email") return task.subject ? `Email: ${task.subject}` : "Email";
  return TASK_WORDS[task.task] ?? task.task;
}

/** What became of a task an admin retried, as the platform answered. */
export function retryOutcome(task: Pick<Task, "key" | "status">): string {
  switch (task.status) {
    case "pending":
      return `${task.key} is pending again and runs now. If it fails on every attempt again, it comes back to this list.`;
    case "done":
      return `${task.key} is done.`;
    case "dead":
      return `${task.key} failed again on every attempt.`;
    default:
      return `${task.key} is now ${task.status}.`;
  }
}
