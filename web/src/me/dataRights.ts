// The player's data rights: what deleting an account erases and keeps (said before the
// player confirms), and the export saved as a file.

/** The word the player types to confirm deletion (the API requires it too). */
export const CONFIRM_WORD = "DELETE";

/** Whether the deletion form may be sent: a password, and the word typed exactly. */
export function canDelete(password: string, confirm: string): boolean {
  return password.length > 0 && confirm.trim() === CONFIRM_WORD;
}

export const ERASED = [
  "your email address, username, full name and date of birth",
  "shipping addresses and dispute messages on prizes you won",
  "your notifications, email preferences and emails waiting to be sent",
  "your host profile's name, description, links and business details",
];

export const KEPT = [
  "your purchases, tickets and draw results, under your account's random id: every draw's proof lists its tickets, so others can check their draws",
  "the ledger, which records ids and amounts only and can never be changed",
  "payment records the law requires us to keep for accounting",
];

export const CREDITS_NOTE =
  "Any credits left on your account are forfeited: credits cannot be cashed out, and nobody could use them after deletion.";

/** The export's file name for the day it is saved. */
export function exportFileName(now: Date): string {
  return `alot-my-data-${now.toISOString().slice(0, 10)}.json`;
}

/** Offer a JSON document to the browser as a file download. */
export function saveJson(document: unknown, fileName: string): void {
  const blob = new Blob([JSON.stringify(document, null, 2)], { type: "application/json" });
  const url = URL.createObjectURL(blob);
  const link = window.document.createElement("a");
  link.href = url;
  link.download = fileName;
  window.document.body.appendChild(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(url);
}
