// Create or edit a host lot (until it opens), see ALOT!'s commission and the host's
// share at the target before it opens, and submit it for review. An opened lot shows
// its sales instead.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { isoToLocalInput, localInputToIso, localZoneName } from "../../admin/datetime";
import { SelectField } from "../../admin/fields";
import { centsToDollarsText, parseDollars } from "../../admin/money";
import { Field } from "../../components/Field";
import { ImageUpload } from "../../components/ImageUpload";
import { ProblemAlert } from "../../components/ProblemAlert";
import { TableScroll } from "../../components/TableScroll";
import { hostLotKey, REVIEW_WORDS, type HostLot } from "../../host/api";
import { HostNav } from "../../host/HostNav";
import { formatBps, formatCents } from "../../lib/money";

type LotBody = components["schemas"]["HostLotCreate"];
const TIERS = ["ICON", "RARE", "GRAIL", "MYTHIC"] as const;

function Economics({ item }: { item: HostLot }) {
  const e = item.economics;
  return (
    <section className="card" aria-labelledby="economics-title">
      <h2 id="economics-title">Commission and your share</h2>
      <p>
        ALOT!'s commission: <strong>{formatBps(e.commission_bps)}</strong> of the funded value. At the target of{" "}
        {formatCents(e.target_cents)}: commission <strong>{formatCents(e.commission_cents)}</strong>, your share{" "}
        <strong>{formatCents(e.host_share_cents)}</strong>, held until the winner has the prize. The rate is frozen when
        the lot opens.
      </p>
    </section>
  );
}

function Sales({ lotId }: { lotId: string }) {
  const sales = useQuery({
    queryKey: ["host", "lots", lotId, "sales"],
    queryFn: async () =>
      unwrap(await api.GET("/api/hosts/me/lots/{lot_id}/sales", { params: { path: { lot_id: lotId } } })),
  });
  if (sales.isPending) return <p role="status">Loading sales…</p>;
  if (sales.isError) return <ProblemAlert error={sales.error} />;
  const s = sales.data;
  return (
    <section className="stack" aria-labelledby="sales-title">
      <h2 id="sales-title">Sales</h2>
      <dl className="facts">
        <dt>Tickets sold</dt>
        <dd>{s.tickets_sold}</dd>
        <dt>Funded</dt>
        <dd>
          {formatCents(s.funded_cents)} ({formatCents(s.cash_cents)} cash, {s.spent_credits} credits)
        </dd>
        <dt>Entries</dt>
        <dd>{s.entries}</dd>
        <dt>Commission / your share so far</dt>
        <dd>
          {formatCents(s.commission_cents)} / {formatCents(s.host_share_cents)}
        </dd>
        <dt>Held for you</dt>
        <dd>{formatCents(s.held_cents)}</dd>
        <dt>Payable to you</dt>
        <dd>{formatCents(s.payable_cents)}</dd>
      </dl>
      {s.buyers.length > 0 && (
        <TableScroll label="Buyers">
          <table className="admin-table">
            <thead>
              <tr>
                <th scope="col">Buyer</th>
                <th scope="col">Tickets</th>
              </tr>
            </thead>
            <tbody>
              {s.buyers.map((buyer) => (
                <tr key={buyer.username}>
                  <td>{buyer.username}</td>
                  <td>{buyer.tickets}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableScroll>
      )}
    </section>
  );
}

function LotEditor({ item, onSaved }: { item?: HostLot | undefined; onSaved: (lot: HostLot) => void }) {
  const lot = item?.lot;
  const product = lot?.product;
  const bundle = lot?.entry_bundles[0];
  const [name, setName] = useState(product?.name ?? "");
  const [brand, setBrand] = useState(product?.brand ?? "");
  const [category, setCategory] = useState(lot?.category ?? "");
  const [tier, setTier] = useState<string>(lot?.tier ?? "RARE");
  const [value, setValue] = useState(lot ? centsToDollarsText(lot.retail_value_cents) : "");
  const [images, setImages] = useState<string[]>(product?.images ?? []);
  const [description, setDescription] = useState(product?.description ?? "");
  const [title, setTitle] = useState(lot?.title ?? "");
  const [target, setTarget] = useState(lot ? centsToDollarsText(lot.funding.target_cents) : "");
  const [deadline, setDeadline] = useState(lot ? isoToLocalInput(lot.deadline) : "");
  const [price, setPrice] = useState(bundle ? centsToDollarsText(bundle.price_cents) : "1.00");
  const [tickets, setTickets] = useState(String(bundle?.tickets ?? 1));
  const [question, setQuestion] = useState(lot?.trivia_question ?? "");
  const [answer, setAnswer] = useState("");
  const [rate, setRate] = useState(String(lot?.non_winner_credit_rate_percent ?? 10));
  const [visibility, setVisibility] = useState<string>(lot?.visibility ?? "public");
  const [inviteCode, setInviteCode] = useState("");
  const [problem, setProblem] = useState<string | null>(null);

  const save = useMutation({
    mutationFn: async (body: LotBody) => {
      if (!lot) return unwrap(await api.POST("/api/hosts/me/lots", { body }));
      const changes: Record<string, unknown> = { ...body };
      if (!answer) delete changes.trivia_answer;
      if (!inviteCode) delete changes.invite_code;
      return unwrap(
        await api.PATCH("/api/hosts/me/lots/{lot_id}", { params: { path: { lot_id: lot.id } }, body: changes }),
      );
    },
    onSuccess: onSaved,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    setProblem(null);
    const retail = parseDollars(value);
    const goal = parseDollars(target);
    const each = parseDollars(price);
    const when = localInputToIso(deadline);
    if (!retail.ok || !goal.ok || !each.ok || !when) {
      setProblem("Check the amounts (dollars, e.g. 125.00) and the deadline.");
      return;
    }
    save.mutate({
      product: {
        name,
        brand: brand || null,
        category,
        tier: tier as LotBody["product"]["tier"],
        retail_value_cents: retail.cents,
        description: description || null,
        images,
      },
      title,
      funding_target_cents: goal.cents,
      deadline: when,
      entry_bundles: [{ price_cents: each.cents, tickets: Number(tickets) }],
      trivia_question: question,
      trivia_answer: answer || "unchanged",
      non_winner_credit_rate_percent: Number(rate),
      visibility: visibility as LotBody["visibility"],
      invite_code: visibility === "private" && inviteCode ? inviteCode : null,
    } as LotBody);
  }

  return (
    <form className="stack" onSubmit={submit}>
      <fieldset className="stack">
        <legend>The prize</legend>
        <Field label="Product name" value={name} onChange={(e) => setName(e.target.value)} required />
        <Field label="Brand" value={brand} onChange={(e) => setBrand(e.target.value)} />
        <Field label="Category" value={category} onChange={(e) => setCategory(e.target.value)} required hint="e.g. sneakers, watch" />
        <SelectField
          label="Tier"
          value={tier}
          onChange={(e) => setTier(e.target.value)}
          options={TIERS.map((t) => ({ value: t, label: t }))}
        />
        <Field label="Retail value (USD)" value={value} onChange={(e) => setValue(e.target.value)} required inputMode="decimal" />
        <ImageUpload value={images} onChange={setImages} label="Photos" />
        <div className="field">
          <label htmlFor="lot-description">Description</label>
          <textarea id="lot-description" value={description} onChange={(e) => setDescription(e.target.value)} rows={3} />
        </div>
      </fieldset>
      <fieldset className="stack">
        <legend>The lot</legend>
        <Field label="Title" value={title} onChange={(e) => setTitle(e.target.value)} required />
        <Field label="Funding target (USD)" value={target} onChange={(e) => setTarget(e.target.value)} required inputMode="decimal" />
        <Field
          label="Deadline"
          type="datetime-local"
          value={deadline}
          onChange={(e) => setDeadline(e.target.value)}
          required
          hint={`Your time zone: ${localZoneName()}`}
        />
        <Field label="Bundle price (USD)" value={price} onChange={(e) => setPrice(e.target.value)} required inputMode="decimal" />
        <Field label="Tickets per bundle" type="number" min={1} value={tickets} onChange={(e) => setTickets(e.target.value)} required />
        <Field label="Trivia question" value={question} onChange={(e) => setQuestion(e.target.value)} required />
        <Field
          label="Trivia answer"
          value={answer}
          onChange={(e) => setAnswer(e.target.value)}
          required={!lot}
          hint={lot ? "Leave blank to keep the current answer" : "Stored only as a keyed hash"}
        />
        <Field
          label="Non-winner credit rate (%)"
          type="number"
          min={0}
          max={100}
          value={rate}
          onChange={(e) => setRate(e.target.value)}
          hint="Paid from ALOT!'s commission: at most the commission rate"
        />
        <SelectField
          label="Visibility"
          value={visibility}
          onChange={(e) => setVisibility(e.target.value)}
          options={[
            { value: "public", label: "Public: listed on ALOT!" },
            { value: "private", label: "Private: reached by its link only" },
          ]}
        />
        {visibility === "private" && (
          <Field
            label="Invite code (optional)"
            value={inviteCode}
            onChange={(e) => setInviteCode(e.target.value)}
            hint={item?.invite_code_set ? "A code is set; type a new one to change it" : "Players enter it with their answer"}
          />
        )}
      </fieldset>
      {problem && (
        <p role="alert" className="alert error">
          {problem}
        </p>
      )}
      <ProblemAlert error={save.error} />
      <div>
        <button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : lot ? "Save changes" : "Create draft"}
        </button>
      </div>
    </form>
  );
}

export default function HostLotEditPage() {
  const { lotId } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const read = useQuery({
    queryKey: hostLotKey(lotId ?? "new"),
    queryFn: async () => unwrap(await api.GET("/api/hosts/me/lots/{lot_id}", { params: { path: { lot_id: lotId ?? "" } } })),
    enabled: Boolean(lotId),
  });
  const submit = useMutation({
    mutationFn: async (id: string) =>
      unwrap(await api.POST("/api/hosts/me/lots/{lot_id}/submit", { params: { path: { lot_id: id } } })),
    onSuccess: (item) => queryClient.setQueryData(hostLotKey(item.lot.id), item),
  });

  function saved(item: HostLot) {
    queryClient.setQueryData(hostLotKey(item.lot.id), item);
    void queryClient.invalidateQueries({ queryKey: ["host", "lots"] });
    if (!lotId) void navigate(`/host/lots/${item.lot.id}`);
  }

  if (lotId && read.isPending) return <p role="status">Loading…</p>;
  if (lotId && read.isError) return <ProblemAlert error={read.error} />;
  const item = read.data;
  const editable = !item || item.lot.status === "created";
  return (
    <section aria-labelledby="host-lot-title" className="stack">
      <h1 id="host-lot-title">{item ? item.lot.title : "New lot"}</h1>
      <HostNav />
      {item && (
        <section className="card stack" aria-labelledby="review-title">
          <h2 id="review-title">
            {item.lot.status === "created" ? REVIEW_WORDS[item.review_status] : `The lot is ${item.lot.status}`}
          </h2>
          {item.review_reason && <p>Reason given: {item.review_reason}</p>}
          {item.private_link && (
            <p>
              Private link: <code className="wrap">{item.private_link}</code>
            </p>
          )}
          {item.lot.status !== "created" && <Link to={`/lots/${item.lot.id}`}>See it as players do</Link>}
          {editable && (item.review_status === "draft" || item.review_status === "rejected") && (
            <div>
              <button type="button" onClick={() => submit.mutate(item.lot.id)} disabled={submit.isPending}>
                Submit for review
              </button>
            </div>
          )}
          <ProblemAlert error={submit.error} />
        </section>
      )}
      {item && <Economics item={item} />}
      {editable ? <LotEditor key={item?.lot.id ?? "new"} item={item} onSaved={saved} /> : <Sales lotId={item.lot.id} />}
    </section>
  );
}
