// Words for the toasts of the player's own live events. Pure (unit-tested).
import type { LiveEvent } from "./connection";

export type Toast = { id: string; text: string; link: string | null; linkText: string | null };

function num(value: unknown): number | null {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function plural(count: number, word: string): string {
  return `${count.toLocaleString("en-US")} ${word}${count === 1 ? "" : "s"}`;
}

/** The toast for a personal event; null for a type this client does not know. */
export function toastFor(event: LiveEvent): Toast | null {
  const data = event.data;
  const lot = event.lot_id;
  const id = `${event.type}-${event.seq}`;
  switch (event.type) {
    case "purchase_confirmed": {
      const tickets = num(data.tickets);
      return {
        id,
        text: `Purchase confirmed${tickets !== null ? `: ${plural(tickets, "ticket")}` : ""}.`,
        link: lot ? `/lots/${lot}` : null,
        linkText: lot ? "See the lot" : null,
      };
    }
    case "credits_awarded": {
      const credits = num(data.credits);
      return {
        id,
        text: `You didn't win this time${credits !== null ? `: ${plural(credits, "credit")} added to your balance` : ""}.`,
        link: "/me/credits",
        linkText: "See your credits",
      };
    }
    case "won": {
      const ticket = num(data.winning_ticket);
      return {
        id,
        text: `You won!${ticket !== null ? ` Winning ticket #${ticket}.` : ""}`,
        link: lot ? `/lots/${lot}/draw` : null,
        linkText: lot ? "See the draw" : null,
      };
    }
    case "refund_available":
      return { id, text: "A refund is available: choose cash or credits.", link: "/me/entries", linkText: "Choose" };
    case "refund_done":
      return { id, text: "Your refund is done.", link: "/me/entries", linkText: "See your entries" };
    case "prize": {
      const words: Record<string, string> = {
        claimed: "A prize was claimed: it is ready to ship.",
        shipped: "Your prize is on its way.",
        delivered: "A prize delivery is confirmed.",
        disputed: "A dispute was opened about a prize.",
        resolved: "A prize dispute was resolved.",
        claim_reminder: "Remember to claim your prize.",
        ship_reminder: "A prize is waiting to be shipped.",
        claim_expired: "Your unclaimed prize is paid to you in cash instead.",
      };
      const text = typeof data.event === "string" ? words[data.event] : undefined;
      const audience = data.audience;
      const link =
        audience === "host"
          ? "/host/fulfillment"
          : audience === "admin"
            ? "/admin/fulfillment"
            : typeof data.reveal_id === "string"
              ? `/me/reveals/${data.reveal_id}`
              : "/me/reveals";
      return { id, text: text ?? "News about a prize.", link, linkText: "See the prize" };
    }
    default:
      return null;
  }
}
