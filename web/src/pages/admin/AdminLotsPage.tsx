import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import { formatCents } from "../../lib/money";
import { formatMoment } from "../../admin/datetime";
import { SelectField } from "../../admin/fields";
import { Crumbs, LOT_STATUSES, PagedTable, StatusBadge, useCursorPages, type LotStatus } from "../../admin/parts";

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

      <PagedTable
        label="Lots"
        query={lots}
        pages={pages}
        caption={<>Newest first{lots.isFetching && !lots.isPending ? " (updating…)" : ""}</>}
        columns={["Lot", "Status", "Funded", "Tickets sold", "Deadline", "Visibility"]}
        empty={state ? `No lot is ${state}.` : "No lots yet: create the first one."}
        row={(lot) => (
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
        )}
      />
    </section>
  );
}
