import { ProblemAlert } from "../components/ProblemAlert";

type Pages = {
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => unknown;
  isFetchNextPageError: boolean;
  error: unknown;
};

/** "Show more" for a cursor-paged list; says when it is loading or failed. */
export function ShowMore({ pages, what }: { pages: Pages; what: string }) {
  return (
    <div className="me-more">
      {pages.isFetchNextPageError && <ProblemAlert error={pages.error} />}
      {pages.hasNextPage ? (
        <button
          type="button"
          className="secondary"
          onClick={() => void pages.fetchNextPage()}
          disabled={pages.isFetchingNextPage}
        >
          {pages.isFetchingNextPage ? `Loading more ${what}…` : `Show more ${what}`}
        </button>
      ) : null}
      {pages.isFetchingNextPage && (
        <p role="status" className="visually-hidden">
          Loading more {what}…
        </p>
      )}
    </div>
  );
}
