// Small pieces every admin screen uses: the breadcrumb, cursor paging, status badges
// and the admin's own words for the API's problems.
import type { UseQueryResult } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { Link } from "react-router";
import { ApiError } from "../api/problem";
import { ProblemAlert } from "../components/ProblemAlert";
import type { components } from "../api/schema";
import "./admin.css";
import { TableScroll } from "../components/TableScroll";

export type LotStatus = components["schemas"]["LotStatus"];

export const LOT_STATUSES: { status: LotStatus; label: string; meaning: string }[] = [
  { status: "created", label: "Created", meaning: "not open yet: still editable, invisible to players" },
  { status: "open", label: "Open", meaning: "selling tickets until its deadline" },
  { status: "funded", label: "Funded", meaning: "target reached: waiting for its draw" },
  { status: "drawing", label: "Drawing", meaning: "winner drawn: waiting to settle" },
  { status: "settled", label: "Settled", meaning: "winner and credits settled" },
  { status: "expired", label: "Expired", meaning: "deadline passed unfunded: its refunds start at once, by themselves" },
  { status: "refunding", label: "Refunding", meaning: "buyers are choosing cash or credits" },
  { status: "closed", label: "Closed", meaning: "every purchase refunded" },
];

export function statusLabel(status: string): string {
  return LOT_STATUSES.find((s) => s.status === status)?.label ?? status;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge status-${status}`}>{statusLabel(status)}</span>;
}

/** "Admin desk › <here>", so every admin screen leads back to the desk. */
export function Crumbs({ trail }: { trail: { to: string; label: string }[] }) {
  return (
    <nav aria-label="Breadcrumb" className="crumbs">
      <ol>
        <li>
          <Link to="/admin">Admin desk</Link>
        </li>
        {trail.map((crumb) => (
          <li key={crumb.to}>
            <Link to={crumb.to}>{crumb.label}</Link>
          </li>
        ))}
      </ol>
    </nav>
  );
}

/** Cursor pages: a stack of the cursors that led here, so "Previous" goes back. */
export function useCursorPages() {
  const [stack, setStack] = useState<(string | undefined)[]>([undefined]);
  return {
    cursor: stack[stack.length - 1],
    page: stack.length,
    next: (cursor: string) => setStack((s) => [...s, cursor]),
    previous: () => setStack((s) => (s.length > 1 ? s.slice(0, -1) : s)),
    reset: () => setStack([undefined]),
  };
}

export function Pager({
  page,
  nextCursor,
  onNext,
  onPrevious,
  busy,
}: {
  page: number;
  nextCursor: string | null | undefined;
  onNext: (cursor: string) => void;
  onPrevious: () => void;
  busy?: boolean;
}) {
  if (page === 1 && !nextCursor) return null;
  return (
    <nav aria-label="Pages" className="row pager">
      <button type="button" className="secondary small" onClick={onPrevious} disabled={page === 1 || busy}>
        Previous page
      </button>
      <span className="muted">Page {page}</span>
      <button
        type="button"
        className="secondary small"
        onClick={() => nextCursor && onNext(nextCursor)}
        disabled={!nextCursor || busy}
      >
        Next page
      </button>
    </nav>
  );
}

// What an admin needs to know beyond the API's own sentence.
const ADMIN_WORDS: Record<string, string> = {
  product_class_in_use:
    "A lot uses this product class, so it can't be deleted: the lot's prize would lose its description. Change the lot's product class first (possible only while the lot is not open), or keep the class.",
  last_admin:
    "You can't remove your own admin role or suspend yourself: the platform must always keep an admin who can undo it. Ask another admin to do it.",
  lot_state_conflict: "The lot's status doesn't allow that (it may have changed meanwhile). Reload to see where it stands.",
  lot_deadline_passed: "The deadline has passed: set a later deadline first.",
  missing_role: "Your account doesn't have the admin role (any more).",
};

/** The API's problem in words, with the admin's explanation of its code. */
export function AdminProblem({ error }: { error: unknown }) {
  if (!error) return null;
  const extra = error instanceof ApiError ? ADMIN_WORDS[error.code] : undefined;
  const detail = error instanceof ApiError && error.detail && extra ? error.detail : null;
  if (!extra) return <ProblemAlert error={error} />;
  return (
    <div role="alert" className="alert error">
      <p>{extra}</p>
      {detail && <p className="muted-error">The platform said: {detail}.</p>}
    </div>
  );
}

/** One page of a cursor-paged admin list as a table: loading, error and empty states,
 * the rows, and the pager. */
export function PagedTable<T>({
  label,
  query,
  pages,
  caption,
  columns,
  empty,
  row,
}: {
  /** The table's name (it names the scrolling region too). */
  label: string;
  query: UseQueryResult<{ items: T[]; next_cursor?: string | null }>;
  pages: ReturnType<typeof useCursorPages>;
  caption: ReactNode;
  columns: string[];
  empty: ReactNode;
  row: (item: T) => ReactNode;
}) {
  const items = query.data?.items;
  return (
    <>
      {query.isPending && <p role="status">Loading…</p>}
      <ProblemAlert error={query.error} />
      {items && items.length === 0 && <p>{empty}</p>}
      {items && items.length > 0 && (
        <TableScroll label={label}>
          <table className="admin-table" aria-busy={query.isFetching}>
            <caption className="muted table-caption">{caption}</caption>
            <thead>
              <tr>
                {columns.map((column) => (
                  <th scope="col" key={column}>
                    {column}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>{items.map(row)}</tbody>
          </table>
        </TableScroll>
      )}
      <Pager
        page={pages.page}
        nextCursor={query.data?.next_cursor}
        onNext={pages.next}
        onPrevious={pages.previous}
        busy={query.isFetching}
      />
    </>
  );
}
