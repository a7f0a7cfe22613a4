import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { ProblemAlert } from "../../components/ProblemAlert";
import { formatCents } from "../../lib/money";
import { formatMoment } from "../../admin/datetime";
import { SelectField } from "../../admin/fields";
import { Crumbs, LOT_STATUSES, Pager, StatusBadge, useCursorPages, type LotStatus } from "../../admin/parts";

export default function AdminLotsPage() {
  const [params, setParams] = useSearchParams();
  const state = LOT_STATUSES.find((s) => s.status === params.get("state"))?.status;
  const pages = useCursorPages();

  const lots = useQuery({
    queryKey: ["admin", "lots", state ?? "all", pages.cursor],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/lots", {
          params: { query: { state: state ? [state] : undefined, sort: "newest", limit: 20, cursor: pages.cursor } },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <section aria-labelledby="lots-title" className="stack">
      <Crumbs trail={[{ to: "/admin/lots", label: "Lots" }]} />
      <h1 id="lots-title">Lots</h1>
      <div className="row" style={{ alignItems: "end", justifyContent: "space-between" }}>
        <div style={{ minWidth: "14rem" }}>
          <SelectField
            label="Status"
            value={state ?? ""}
            onChange={(event) => {
              pages.reset();
              const value = event.target.value as LotStatus | "";
              setParams(value ? { state: value } : {}, { replace: true });
            }}
            hint={state ? LOT_STATUSES.find((s) => s.status === state)?.meaning : "every lot, hidden ones too"}
            options={[{ value: "", label: "Any status" }, ...LOT_STATUSES.map((s) => ({ value: s.status, label: s.label }))]}
          />
        </div>
        <Link to="/admin/lots/new" className="button">
          Create a lot
        </Link>
      </div>

      {lots.isPending && <p role="status">Loading…</p>}
      <ProblemAlert error={lots.error} />
      {lots.data && lots.data.items.length === 0 && (
        <p>{state ? `No lot is ${state}.` : "No lots yet: create the first one."}</p>
      )}
      {lots.data && lots.data.items.length > 0 && (
        <div className="table-scroll">
          <table className="admin-table" aria-busy={lots.isFetching}>
            <caption className="muted" style={{ textAlign: "left" }}>
              Newest first{lots.isFetching && !lots.isPending ? " (updating…)" : ""}
            </caption>
            <thead>
              <tr>
                <th scope="col">Lot</th>
                <th scope="col">Status</th>
                <th scope="col">Funded</th>
                <th scope="col">Tickets sold</th>
                <th scope="col">Deadline</th>
                <th scope="col">Visibility</th>
              </tr>
            </thead>
            <tbody>
              {lots.data.items.map((lot) => (
                <tr key={lot.id}>
                  <td className="wrap">
                    <Link to={`/admin/lots/${lot.id}`}>{lot.title}</Link>
                  </td>
                  <td>
                    <StatusBadge status={lot.status} />
                  </td>
                  <td>
                    {formatCents(lot.funding.funded_cents)} of {formatCents(lot.funding.target_cents)}
                  </td>
                  <td>{lot.tickets_sold}</td>
                  <td>{formatMoment(lot.deadline)}</td>
                  <td>{lot.visibility}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        page={pages.page}
        nextCursor={lots.data?.next_cursor}
        onNext={pages.next}
        onPrevious={pages.previous}
        busy={lots.isFetching}
      />
    </section>
  );
}
