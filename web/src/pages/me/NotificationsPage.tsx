// Notifications: what happened to the player (won, credits, refunds, lots closing),
// newest first; each links to its page (the draw, the refund, the lot) and is marked
// read when followed or with its button; "Mark all read" marks every one shown so far.
import { Link } from "react-router";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatDateTime } from "../../me/format";
import { MeNav } from "../../me/MeNav";
import { ShowMore } from "../../me/ShowMore";
import { linkText, safeLink, type NotificationRead } from "../../notifications/format";
import { useMarkRead, useNotifications } from "../../notifications/queries";
import "../../me/me.css";
import "../../notifications/notifications.css";

export default function NotificationsPage() {
  const notifications = useNotifications();
  const markRead = useMarkRead();
  const items = notifications.data?.pages.flatMap((page) => page.items) ?? [];
  const unread = notifications.data?.pages[0]?.unread_count ?? 0;
  const newest = items[0];
  return (
    <section aria-labelledby="notifications-title">
      <MeNav />
      <h1 id="notifications-title">Notifications</h1>
      <div className="row notifications-head">
        <p className="muted" role="status" data-testid="unread-summary">
          {notifications.data ? (unread > 0 ? `${unread} unread` : "All read") : ""}
        </p>
        {unread > 0 && newest && (
          <button
            type="button"
            className="secondary small"
            disabled={markRead.isPending}
            onClick={() => markRead.mutate({ up_to: newest.id })}
          >
            Mark all read
          </button>
        )}
        <Link to="/account#email-preferences">Email preferences</Link>
      </div>
      <ProblemAlert error={markRead.error} />
      {notifications.isPending && <p role="status">Loading your notifications…</p>}
      {notifications.isError && !notifications.data && <ProblemAlert error={notifications.error} />}
      {notifications.data && items.length === 0 && (
        <p>
          Nothing yet. We tell you here when a lot you entered is drawn, closes soon, or is refunded.{" "}
          <Link to="/">Find a lot</Link>.
        </p>
      )}
      {items.length > 0 && (
        <ul className="notifications" aria-label="Notifications, newest first">
          {items.map((item) => (
            <Item key={item.id} item={item} onRead={(id) => markRead.mutate({ ids: [id] })} busy={markRead.isPending} />
          ))}
        </ul>
      )}
      <ShowMore pages={notifications} what="notifications" />
    </section>
  );
}

function Item({ item, onRead, busy }: { item: NotificationRead; onRead: (id: string) => void; busy: boolean }) {
  const unread = !item.read;
  return (
    <li className={`card notification${unread ? " unread" : ""}`} data-kind={item.kind}>
      <header>
        <h2>{item.title}</h2>
        {unread && <span className="badge notification-new">New</span>}
      </header>
      <p>{item.body}</p>
      <p className="muted">
        <time dateTime={item.created_at}>{formatDateTime(item.created_at)}</time>
      </p>
      <p className="links">
        <Link to={safeLink(item.link)} onClick={() => unread && onRead(item.id)}>
          {linkText(item)}
        </Link>
        {unread && (
          <button
            type="button"
            className="secondary small"
            disabled={busy}
            onClick={() => onRead(item.id)}
            aria-label={`Mark read: ${item.title}`}
          >
            Mark read
          </button>
        )}
      </p>
    </li>
  );
}
