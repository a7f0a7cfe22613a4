// The lot list (the first route): search, filters and sort live in the URL query string,
// so a search can be shared and Back undoes it; pages load on "Show more" (cursor).
import { useInfiniteQuery } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { useSearchParams } from "react-router";
import { ProblemAlert } from "../components/ProblemAlert";
import { fetchLots, lotsKey, type LotQuery, type LotSort } from "../lots/api";
import { LotCard } from "../lots/LotCard";
import { useLiveLots, useOnScreen } from "../live";
import "../lots/lots.css";

const CATEGORIES = ["watch", "bag", "memorabilia", "sneakers", "jewellery", "art"];
const SORTS: { value: LotSort; label: string }[] = [
  { value: "newest", label: "Newest" },
  { value: "ending_soon", label: "Ending soonest" },
  { value: "most_funded", label: "Most funded" },
];
const SHOW = { open: "Open for entries", settled: "Drawn", all: "All lots" } as const;
type Show = keyof typeof SHOW;
const ENDING_SOON_HOURS = 24;
const ALMOST_FUNDED_PERCENT = 75;
const DEFAULT_PAGE = 12;
const SEARCH_DELAY_MS = 350;
const MAX_SEARCH = 100;

function queryFrom(params: URLSearchParams): LotQuery {
  const sort = params.get("sort");
  const show = (params.get("show") ?? "open") as Show;
  const limit = Number(params.get("limit"));
  const query: LotQuery = {
    sort: SORTS.some((s) => s.value === sort) ? (sort as LotSort) : "newest",
    limit: Number.isInteger(limit) && limit >= 1 && limit <= 100 ? limit : DEFAULT_PAGE,
  };
  if (show === "open" || show === "settled") query.state = [show];
  const q = params.get("q")?.trim();
  if (q) query.q = q.slice(0, MAX_SEARCH);
  const category = params.get("category");
  if (category) query.category = category;
  if (params.get("ending") === "1") query.ending_soon = ENDING_SOON_HOURS;
  if (params.get("almost") === "1") query.min_progress = ALMOST_FUNDED_PERCENT;
  return query;
}

export default function LotsPage() {
  const [params, setParams] = useSearchParams();
  const query = queryFrom(params);
  const urlSearch = params.get("q") ?? "";
  const ids = useId();

  const lots = useInfiniteQuery({
    queryKey: lotsKey(query),
    queryFn: ({ pageParam }) => fetchLots(query, pageParam),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.next_cursor,
  });

  function update(changes: Record<string, string | null>) {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        for (const [name, value] of Object.entries(changes)) {
          if (value === null || value === "") next.delete(name);
          else next.set(name, value);
        }
        return next;
      },
      // The filters are controlled by the URL: without a synchronous update a checkbox
      // flips back until the (transition) navigation renders, and reads as unchanged.
      { flushSync: true },
    );
  }

  // The search box types freely; the URL follows after a pause (or at once on Enter).
  const [text, setText] = useState(urlSearch);
  const committed = useRef(urlSearch);
  useEffect(() => {
    // Back/Forward (or a shared link) changed the URL: show its search.
    if (urlSearch !== committed.current) {
      committed.current = urlSearch;
      setText(urlSearch);
    }
  }, [urlSearch]);
  function commitSearch(value: string) {
    const wanted = value.trim();
    if (wanted === committed.current.trim()) return;
    committed.current = wanted;
    update({ q: wanted || null });
  }
  useEffect(() => {
    const timer = window.setTimeout(() => commitSearch(text), SEARCH_DELAY_MS);
    return () => window.clearTimeout(timer);
    // commitSearch reads the latest URL through setParams' updater: text is the only input.
  }, [text]);
  function onSearch(event: FormEvent) {
    event.preventDefault();
    commitSearch(text);
  }

  const items = lots.data?.pages.flatMap((page) => page.items) ?? [];
  // The funding bars of the cards on screen follow their lots' live events (within the
  // server's subscription limit); the others show what was fetched until scrolled to.
  const list = useRef<HTMLUListElement>(null);
  const selling = items.filter((lot) => lot.status === "open" || lot.status === "funded").map((lot) => lot.id);
  useLiveLots(useOnScreen(list, selling));
  const show = (params.get("show") ?? "open") as Show;
  const filtered = Boolean(query.q || query.category || query.ending_soon || query.min_progress || show !== "open");

  return (
    <section aria-labelledby="lots-title">
      <h1 id="lots-title">Win something extraordinary</h1>
      <p className="muted">
        Answer a question, buy tickets, and watch a provably fair draw when the lot is funded.
      </p>

      <form role="search" className="lot-search" onSubmit={onSearch} aria-label="Search lots">
        <div className="field">
          <label htmlFor={`${ids}-q`}>Search lots</label>
          <input
            id={`${ids}-q`}
            type="search"
            value={text}
            maxLength={MAX_SEARCH}
            placeholder="Brand, model or title"
            onChange={(event) => setText(event.target.value)}
          />
        </div>
        <button type="submit">Search</button>
      </form>

      <div className="lot-filters" role="group" aria-label="Filter and sort">
        <div className="field">
          <label htmlFor={`${ids}-show`}>Show</label>
          <select id={`${ids}-show`} value={show} onChange={(e) => update({ show: e.target.value === "open" ? null : e.target.value })}>
            {Object.entries(SHOW).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-category`}>Category</label>
          <select id={`${ids}-category`} value={query.category ?? ""} onChange={(e) => update({ category: e.target.value })}>
            <option value="">All categories</option>
            {CATEGORIES.map((category) => (
              <option key={category} value={category}>
                {category.charAt(0).toUpperCase() + category.slice(1)}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${ids}-sort`}>Sort by</label>
          <select id={`${ids}-sort`} value={query.sort} onChange={(e) => update({ sort: e.target.value === "newest" ? null : e.target.value })}>
            {SORTS.map((sort) => (
              <option key={sort.value} value={sort.value}>
                {sort.label}
              </option>
            ))}
          </select>
        </div>
        <label className="check">
          <input type="checkbox" checked={params.get("ending") === "1"} onChange={(e) => update({ ending: e.target.checked ? "1" : null })} />
          Ending within {ENDING_SOON_HOURS} hours
        </label>
        <label className="check">
          <input type="checkbox" checked={params.get("almost") === "1"} onChange={(e) => update({ almost: e.target.checked ? "1" : null })} />
          Almost funded ({ALMOST_FUNDED_PERCENT}% or more)
        </label>
      </div>

      {lots.isPending ? (
        <p role="status">Loading lots…</p>
      ) : lots.isError && items.length === 0 ? (
        <div>
          <ProblemAlert error={lots.error} />
          <button type="button" className="secondary" onClick={() => void lots.refetch()}>
            Try again
          </button>
        </div>
      ) : (
        <>
          <p role="status" className="muted">
            {items.length === 0
              ? ""
              : `Showing ${items.length} ${items.length === 1 ? "lot" : "lots"}${lots.hasNextPage ? " (more below)" : ""}.`}
          </p>
          {items.length === 0 ? (
            <div className="card">
              <h2>No lots found</h2>
              <p>
                {filtered
                  ? "Nothing matches this search and these filters. Try fewer words or clear a filter."
                  : "There are no lots open right now. New prizes arrive often: come back soon."}
              </p>
              {filtered && (
                <button type="button" className="secondary" onClick={() => { committed.current = ""; setText(""); setParams(new URLSearchParams()); }}>
                  Clear search and filters
                </button>
              )}
            </div>
          ) : (
            <ul ref={list} className="grid lot-list" aria-label="Lots" style={{ listStyle: "none", padding: 0, margin: 0 }}>
              {items.map((lot) => (
                <li key={lot.id} data-lot-id={lot.id}>
                  <LotCard lot={lot} />
                </li>
              ))}
            </ul>
          )}
          {lots.isFetchNextPageError && <ProblemAlert error={lots.error} />}
          {lots.hasNextPage && (
            <div className="more">
              <button type="button" className="secondary" disabled={lots.isFetchingNextPage} onClick={() => void lots.fetchNextPage()}>
                {lots.isFetchingNextPage ? "Loading…" : "Show more"}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}
