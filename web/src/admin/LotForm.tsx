import { useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, unwrap } from "../api/client";
import type { components } from "../api/schema";
import { ApiError } from "../api/problem";
import { Field } from "../components/Field";
import { formatCents } from "../lib/money";
import { isoToLocalInput, localInputToIso, localZoneName } from "./datetime";
import { SelectField, TextAreaField } from "./fields";
import { centsToDollarsText, parseDollars } from "./money";
import { AdminProblem } from "./parts";

export type Lot = components["schemas"]["LotRead"];
export type LotBody = components["schemas"]["LotCreate"];
type ProductClass = components["schemas"]["ProductClassRead"];
type BundleRow = { price: string; tickets: string };

/** Every product class, for the picker (pages walked; the catalogue is small). */
export function useAllProductClasses() {
  return useQuery({
    queryKey: ["admin", "product-classes", "all"],
    queryFn: async () => {
      const all: ProductClass[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 20; page += 1) {
        const data = unwrap(
          await api.GET("/api/admin/product-classes", { params: { query: { limit: 100, cursor } } }),
        );
        all.push(...data.items);
        if (!data.next_cursor) break;
        cursor = data.next_cursor;
      }
      return all;
    },
  });
}

type Props = {
  lot?: Lot | undefined;
  busy: boolean;
  error: unknown;
  submitLabel: string;
  /** `trivia_answer` is absent when an edit leaves it blank (the lot keeps its answer). */
  onSubmit: (body: LotBody) => void;
};

export function LotForm({ lot, busy, error, submitLabel, onSubmit }: Props) {
  const products = useAllProductClasses();
  const [productId, setProductId] = useState(lot?.product?.product_class_id ?? "");
  const [title, setTitle] = useState(lot?.title ?? "");
  const [lotType, setLotType] = useState<LotBody["lot_type"]>(lot?.lot_type ?? "known");
  const [visibility, setVisibility] = useState<LotBody["visibility"]>(lot?.visibility ?? "public");
  const [target, setTarget] = useState(lot ? centsToDollarsText(lot.funding.target_cents) : "");
  const [bundles, setBundles] = useState<BundleRow[]>(
    lot
      ? lot.entry_bundles.map((b) => ({ price: centsToDollarsText(b.price_cents), tickets: String(b.tickets) }))
      : [{ price: "2.00", tickets: "1" }],
  );
  const [creditRate, setCreditRate] = useState(String(lot?.non_winner_credit_rate_percent ?? 10));
  const [cap, setCap] = useState(lot?.max_tickets_per_user ? String(lot.max_tickets_per_user) : "");
  const [freePeriod, setFreePeriod] = useState(lot?.free_entry_period_days ? String(lot.free_entry_period_days) : "");
  const [question, setQuestion] = useState(lot?.trivia_question ?? "");
  const [answer, setAnswer] = useState("");
  const [deadline, setDeadline] = useState(lot ? isoToLocalInput(lot.deadline) : "");
  const [algorithm, setAlgorithm] = useState<string>(lot?.draw.algorithm ?? "");
  const [problems, setProblems] = useState<Record<string, string>>({});

  const apiField = (field: string) => (error instanceof ApiError ? error.fieldMessage(field) : undefined);
  const fieldError = (field: string) => problems[field] ?? apiField(field);

  function submit(event: FormEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!productId) found.product_class_id = "Choose the prize.";
    if (!title.trim()) found.title = "Give the lot a title players will see.";
    const money = parseDollars(target);
    if (!money.ok) found.funding_target_cents = money.message;
    const parsedBundles = bundles.map((row, index) => {
      const price = parseDollars(row.price);
      const tickets = /^\d{1,6}$/.test(row.tickets.trim()) ? Number(row.tickets.trim()) : 0;
      if (!price.ok) found[`bundle-${index}-price`] = price.message;
      if (tickets < 1 || tickets > 100_000) found[`bundle-${index}-tickets`] = "A whole number of tickets, 1 to 100,000.";
      return { price_cents: price.ok ? price.cents : 0, tickets };
    });
    const counts = parsedBundles.map((b) => b.tickets);
    counts.forEach((count, index) => {
      if (count && counts.indexOf(count) !== index) found[`bundle-${index}-tickets`] = "Two bundles sell this many tickets.";
    });
    if (bundles.length === 0) found.entry_bundles = "Offer at least one bundle.";
    const rate = /^\d{1,3}$/.test(creditRate.trim()) ? Number(creditRate.trim()) : -1;
    if (rate < 0 || rate > 100) found.non_winner_credit_rate_percent = "A whole percent, 0 to 100.";
    const capValue = cap.trim() ? (/^\d{1,8}$/.test(cap.trim()) ? Number(cap.trim()) : 0) : null;
    if (capValue === 0) found.max_tickets_per_user = "A whole number of tickets, or leave it empty for no cap.";
    const periodValue = freePeriod.trim() ? (/^\d{1,3}$/.test(freePeriod.trim()) ? Number(freePeriod.trim()) : 0) : null;
    if (periodValue !== null && (periodValue < 1 || periodValue > 366)) {
      found.free_entry_period_days = "A whole number of days, 1 to 366, or leave it empty for one per lot.";
    }
    if (!question.trim()) found.trivia_question = "Ask the skill question players must answer.";
    if (!lot && !answer.trim()) found.trivia_answer = "Give the answer.";
    const iso = localInputToIso(deadline);
    if (!iso) found.deadline = "Choose a date and time.";
    else if (new Date(iso).getTime() <= Date.now()) found.deadline = "The deadline must be in the future.";
    setProblems(found);
    if (Object.keys(found).length > 0 || !money.ok || !iso) return;
    const body: LotBody = {
      product_class_id: productId,
      title: title.trim(),
      lot_type: lotType,
      visibility,
      funding_target_cents: money.cents,
      entry_bundles: parsedBundles,
      non_winner_credit_rate_percent: rate,
      max_tickets_per_user: capValue,
      free_entry_period_days: periodValue,
      trivia_question: question.trim(),
      trivia_answer: answer,
      deadline: iso,
    };
    if (algorithm) body.draw_algorithm = algorithm as LotBody["draw_algorithm"];
    onSubmit(body);
  }

  const selected = products.data?.find((p) => p.id === productId);

  return (
    <form className="admin-form" onSubmit={submit} noValidate>
      <p className="muted">Fields marked * are required. Amounts are in dollars and stored exactly, in cents.</p>
      {products.isPending && <p role="status">Loading the catalogue…</p>}
      <AdminProblem error={products.error} />
      {products.data && products.data.length === 0 && (
        <p className="alert info">
          The catalogue is empty: <Link to="/admin/product-classes">add a product class</Link> first.
        </p>
      )}
      <SelectField
        label="Prize (product class) *"
        value={productId}
        onChange={(e) => setProductId(e.target.value)}
        error={fieldError("product_class_id")}
        hint={selected ? `${selected.category}, retail ${formatCents(selected.retail_value_cents)}` : undefined}
        options={[
          { value: "", label: "Choose…" },
          ...(products.data ?? []).map((p) => ({
            value: p.id,
            label: `${p.brand ? `${p.brand} ` : ""}${p.name} (${formatCents(p.retail_value_cents)})`,
          })),
        ]}
      />
      <Field label="Title *" value={title} onChange={(e) => setTitle(e.target.value)} error={fieldError("title")} />
      <div className="pair two">
        <SelectField
          label="Type"
          value={lotType}
          onChange={(e) => setLotType(e.target.value as LotBody["lot_type"])}
          hint={lotType === "mystery" ? "the prize stays hidden until the lot settles" : "players see the prize"}
          options={[
            { value: "known", label: "Known prize" },
            { value: "mystery", label: "Mystery prize" },
          ]}
        />
        <SelectField
          label="Visibility"
          value={visibility}
          onChange={(e) => setVisibility(e.target.value as LotBody["visibility"])}
          options={[
            { value: "public", label: "Public (listed)" },
            { value: "unlisted", label: "Unlisted (by link)" },
            { value: "private", label: "Private" },
          ]}
        />
      </div>
      <Field
        label="Funding target in dollars *"
        inputMode="decimal"
        value={target}
        onChange={(e) => setTarget(e.target.value)}
        error={fieldError("funding_target_cents")}
        hint="the lot draws once players have paid this much"
      />

      <fieldset>
        <legend>Ticket bundles *</legend>
        {bundles.map((row, index) => (
          <div className="pair" key={index}>
            <Field
              label={`Bundle ${index + 1} price in dollars`}
              inputMode="decimal"
              value={row.price}
              onChange={(e) => setBundles(bundles.map((b, i) => (i === index ? { ...b, price: e.target.value } : b)))}
              error={problems[`bundle-${index}-price`]}
            />
            <Field
              label={`Bundle ${index + 1} tickets`}
              inputMode="numeric"
              value={row.tickets}
              onChange={(e) => setBundles(bundles.map((b, i) => (i === index ? { ...b, tickets: e.target.value } : b)))}
              error={problems[`bundle-${index}-tickets`]}
            />
            <button
              type="button"
              className="secondary small"
              onClick={() => setBundles(bundles.filter((_, i) => i !== index))}
              disabled={bundles.length === 1}
              aria-label={`Remove bundle ${index + 1}`}
            >
              Remove
            </button>
          </div>
        ))}
        <div>
          <button
            type="button"
            className="secondary small"
            onClick={() => setBundles([...bundles, { price: "", tickets: "" }])}
            disabled={bundles.length >= 20}
          >
            Add a bundle
          </button>
        </div>
        {(problems.entry_bundles ?? apiField("entry_bundles")) && (
          <p className="field-error">{problems.entry_bundles ?? apiField("entry_bundles")}</p>
        )}
      </fieldset>

      <div className="pair two">
        <Field
          label="Non-winner credit rate (%)"
          inputMode="numeric"
          value={creditRate}
          onChange={(e) => setCreditRate(e.target.value)}
          error={fieldError("non_winner_credit_rate_percent")}
          hint="of what each non-winner paid, back as credits"
        />
        <Field
          label="Most tickets per player"
          inputMode="numeric"
          value={cap}
          onChange={(e) => setCap(e.target.value)}
          error={fieldError("max_tickets_per_user")}
          hint="empty: no cap"
        />
        <Field
          label="Free entry every (days)"
          inputMode="numeric"
          value={freePeriod}
          onChange={(e) => setFreePeriod(e.target.value)}
          error={fieldError("free_entry_period_days")}
          hint="no purchase necessary; empty: one free entry per player per lot"
        />
      </div>
      <TextAreaField
        label="Trivia question *"
        value={question}
        onChange={(e) => setQuestion(e.target.value)}
        error={fieldError("trivia_question")}
        rows={2}
      />
      <Field
        label={lot ? "Trivia answer" : "Trivia answer *"}
        value={answer}
        onChange={(e) => setAnswer(e.target.value)}
        error={fieldError("trivia_answer")}
        hint={
          lot
            ? "leave empty to keep the current answer (it is stored only as a keyed hash)"
            : "compared ignoring case, accents, spacing and end punctuation"
        }
        autoComplete="off"
      />
      <Field
        label="Deadline *"
        type="datetime-local"
        step={1}
        value={deadline}
        onChange={(e) => setDeadline(e.target.value)}
        error={fieldError("deadline")}
        hint={`in your time zone (${localZoneName()}); sent with its offset`}
      />
      <SelectField
        label="Draw algorithm"
        value={algorithm}
        onChange={(e) => setAlgorithm(e.target.value)}
        options={[
          ...(lot ? [] : [{ value: "", label: "The platform's default" }]),
          { value: "alot-v2", label: "alot-v2 (with a public randomness beacon)" },
          { value: "alot-v1", label: "alot-v1 (server seed and ticket map)" },
        ]}
      />
      <AdminProblem error={error} />
      <div className="row">
        <button type="submit" disabled={busy || products.isPending}>
          {busy ? "Saving…" : submitLabel}
        </button>
      </div>
    </form>
  );
}
