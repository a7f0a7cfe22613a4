import { NavLink } from "react-router";
import { badgeText, bellLabel } from "../notifications/format";
import { useUnreadCount } from "../notifications/queries";

/** The header's bell: a link to the notifications page, with the unread count. */
export function NotificationBell() {
  const unread = useUnreadCount(true).data ?? 0;
  const badge = badgeText(unread);
  return (
    <NavLink to="/me/notifications" className="bell" aria-label={bellLabel(unread)} data-testid="notification-bell">
      <svg aria-hidden="true" viewBox="0 0 24 24" width="22" height="22" focusable="false">
        <path
          fill="currentColor"
          d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1Z"
        />
      </svg>
      {badge && (
        <span className="bell-badge" aria-hidden="true">
          {badge}
        </span>
      )}
    </NavLink>
  );
}
