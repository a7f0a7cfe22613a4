// Words for the audit log's entries (the actions are snake_case in the log itself).

const ACTIONS: Record<string, string> = {
  roles_changed: "Roles changed",
  account_status_changed: "Account status changed",
  lot_opened: "Lot opened",
  lot_extended: "Lot extended",
  refunds_started: "Refunds started",
  dispute_resolved: "Dispute resolved",
  host_reviewed: "Host reviewed",
  host_commission_changed: "Host commission changed",
  host_lot_submitted: "Host lot submitted",
  host_lot_approved: "Host lot approved",
  host_lot_rejected: "Host lot rejected",
  payout_retried: "Payout retried",
  winner_payment_recorded: "Winner payment recorded",
  lot_created: "Lot created",
  lot_updated: "Lot changed",
  product_class_created: "Product class added",
  product_class_updated: "Product class changed",
  product_class_deleted: "Product class removed",
  prize_shipped_by_admin: "Prize shipped",
  task_retried: "Task retried",
  prize_shipped_by_host: "Prize shipped by its host",
  host_profile_updated: "Host profile changed",
  host_lot_updated: "Host lot changed",
};

/** The action in words; an action this client does not know yet, as the log names it. */
export function actionLabel(action: string): string {
  return ACTIONS[action] ?? action.replaceAll("_", " ");
}

/** An entry's details on one line: `name: value`, lists joined, in the log's order. */
export function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(", ") || "none" : String(value ?? "—")}`)
    .join("; ");
}

/** Offer text to the browser as a file download. */
export function saveText(text: string, fileName: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: "application/jsonl" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
