import { useId, useState, type FormEvent } from "react";
import type { components } from "../api/schema";
import { ApiError } from "../api/problem";
import { Field } from "../components/Field";
import { ImageUpload } from "../components/ImageUpload";
import { isOwnMedia } from "../lib/media";
import { SelectField, TextAreaField } from "./fields";
import { centsToDollarsText, parseDollars } from "./money";
import { AdminProblem } from "./parts";

export type ProductClass = components["schemas"]["ProductClassRead"];
export type ProductClassBody = components["schemas"]["ProductClassCreate"];
type Spec = { name: string; value: string };

export const TIERS: { value: components["schemas"]["Tier"]; label: string }[] = [
  { value: "ICON", label: "Icon" },
  { value: "RARE", label: "Rare" },
  { value: "GRAIL", label: "Grail" },
  { value: "MYTHIC", label: "Mythic" },
];

/** A specification value as the API stores it: whole numbers and true/false keep their type. */
export function specValue(text: string): string | number | boolean {
  const trimmed = text.trim();
  if (/^-?\d{1,15}$/.test(trimmed)) return Number(trimmed);
  if (trimmed === "true" || trimmed === "false") return trimmed === "true";
  return text;
}

const HTTPS = /^https:\/\/[^\s]+$/;

type Props = {
  initial?: ProductClass | undefined;
  submitLabel: string;
  busy: boolean;
  error: unknown;
  onSubmit: (body: ProductClassBody) => void;
  onCancel?: () => void;
};

export function ProductClassForm({ initial, submitLabel, busy, error, onSubmit, onCancel }: Props) {
  const formId = useId();
  const [name, setName] = useState(initial?.name ?? "");
  const [brand, setBrand] = useState(initial?.brand ?? "");
  const [category, setCategory] = useState(initial?.category ?? "");
  const [tier, setTier] = useState<ProductClassBody["tier"]>(initial?.tier ?? "RARE");
  const [retail, setRetail] = useState(initial ? centsToDollarsText(initial.retail_value_cents) : "");
  const [description, setDescription] = useState(initial?.description ?? "");
  const [specs, setSpecs] = useState<Spec[]>(
    Object.entries(initial?.specifications ?? {}).map(([key, value]) => ({ name: key, value: String(value) })),
  );
  const [images, setImages] = useState<string[]>(initial?.images ?? []);
  const [certificate, setCertificate] = useState(initial?.authenticity_certificate_url ?? "");
  const [problems, setProblems] = useState<Record<string, string>>({});

  const apiField = (field: string) => (error instanceof ApiError ? error.fieldMessage(field) : undefined);
  const fieldError = (field: string) => problems[field] ?? apiField(field);

  function submit(event: FormEvent) {
    event.preventDefault();
    const found: Record<string, string> = {};
    const money = parseDollars(retail);
    if (!money.ok) found.retail_value_cents = money.message;
    if (!name.trim()) found.name = "Give the product a name.";
    if (!/^[A-Za-z0-9][A-Za-z0-9 _-]{0,49}$/.test(category.trim())) {
      found.category = "One word or a few (letters, digits, spaces, - or _), e.g. watch.";
    }
    images.forEach((url, index) => {
      if (!HTTPS.test(url.trim()) && !isOwnMedia(url.trim())) {
        found[`image-${index}`] = "An image is an https:// address.";
      }
    });
    if (certificate.trim() && !HTTPS.test(certificate.trim())) {
      found.authenticity_certificate_url = "The certificate is an https:// address.";
    }
    const names = specs.map((s) => s.name.trim());
    specs.forEach((spec, index) => {
      if (!spec.name.trim()) found[`spec-${index}`] = "Name this specification (or remove it).";
      else if (names.indexOf(spec.name.trim()) !== index) found[`spec-${index}`] = "This name is used twice.";
    });
    setProblems(found);
    if (Object.keys(found).length > 0 || !money.ok) return;
    onSubmit({
      name: name.trim(),
      brand: brand.trim() || null,
      category: category.trim(),
      tier,
      retail_value_cents: money.cents,
      description: description.trim() || null,
      specifications: Object.fromEntries(specs.map((s) => [s.name.trim(), specValue(s.value)])),
      images: images.map((url) => url.trim()),
      authenticity_certificate_url: certificate.trim() || null,
    });
  }

  return (
    <form className="admin-form" onSubmit={submit} noValidate aria-describedby={`${formId}-note`}>
      <p id={`${formId}-note`} className="muted">
        Fields marked * are required.
      </p>
      <Field label="Name *" value={name} onChange={(e) => setName(e.target.value)} error={fieldError("name")} required />
      <Field label="Brand" value={brand} onChange={(e) => setBrand(e.target.value)} error={fieldError("brand")} />
      <div className="pair two">
        <Field
          label="Category *"
          hint="e.g. watch, bag, memorabilia"
          value={category}
          onChange={(e) => setCategory(e.target.value)}
          error={fieldError("category")}
          required
        />
        <SelectField
          label="Tier *"
          value={tier}
          onChange={(e) => setTier(e.target.value as ProductClassBody["tier"])}
          options={TIERS}
        />
      </div>
      <Field
        label="Retail value in dollars *"
        hint="e.g. 12,500 or 12500.00 (stored exactly, in cents)"
        inputMode="decimal"
        value={retail}
        onChange={(e) => setRetail(e.target.value)}
        error={fieldError("retail_value_cents")}
        required
      />
      <TextAreaField
        label="Description"
        value={description}
        onChange={(e) => setDescription(e.target.value)}
        error={fieldError("description")}
      />

      <fieldset>
        <legend>Specifications</legend>
        <p className="hint" style={{ margin: 0 }}>
          Facts about the product, e.g. case_mm = 40. Whole numbers and true/false are stored as such.
        </p>
        {specs.map((spec, index) => (
          <div className="pair" key={index}>
            <Field
              label={`Specification ${index + 1} name`}
              value={spec.name}
              onChange={(e) => setSpecs(specs.map((s, i) => (i === index ? { ...s, name: e.target.value } : s)))}
              error={problems[`spec-${index}`]}
            />
            <Field
              label={`Specification ${index + 1} value`}
              value={spec.value}
              onChange={(e) => setSpecs(specs.map((s, i) => (i === index ? { ...s, value: e.target.value } : s)))}
            />
            <button
              type="button"
              className="secondary small"
              onClick={() => setSpecs(specs.filter((_, i) => i !== index))}
              aria-label={`Remove specification ${index + 1}`}
            >
              Remove
            </button>
          </div>
        ))}
        <div>
          <button type="button" className="secondary small" onClick={() => setSpecs([...specs, { name: "", value: "" }])}>
            Add a specification
          </button>
        </div>
        {apiField("specifications") && <p className="field-error">{apiField("specifications")}</p>}
      </fieldset>

      <ImageUpload value={images} onChange={setImages} label="Photos" />

      <fieldset>
        <legend>Image addresses</legend>
        <p className="hint" style={{ margin: 0 }}>
          Uploaded photos are listed here too; add an image hosted elsewhere by its https:// address.
        </p>
        {images.length === 0 && <p className="hint" style={{ margin: 0 }}>No images yet.</p>}
        {images.map((url, index) => (
          <div className="pair" key={index} style={{ gridTemplateColumns: "1fr auto" }}>
            <Field
              label={`Image ${index + 1} address`}
              type="url"
              placeholder="https://"
              value={url}
              onChange={(e) => setImages(images.map((u, i) => (i === index ? e.target.value : u)))}
              error={problems[`image-${index}`]}
            />
            <button
              type="button"
              className="secondary small"
              onClick={() => setImages(images.filter((_, i) => i !== index))}
              aria-label={`Remove image ${index + 1}`}
            >
              Remove
            </button>
          </div>
        ))}
        <div>
          <button
            type="button"
            className="secondary small"
            onClick={() => setImages([...images, ""])}
            disabled={images.length >= 20}
          >
            Add an image
          </button>
        </div>
        {apiField("images") && <p className="field-error">{apiField("images")}</p>}
      </fieldset>

      <Field
        label="Authenticity certificate address"
        type="url"
        placeholder="https://"
        value={certificate}
        onChange={(e) => setCertificate(e.target.value)}
        error={fieldError("authenticity_certificate_url")}
      />

      <AdminProblem error={error} />
      <div className="row">
        <button type="submit" disabled={busy}>
          {busy ? "Saving…" : submitLabel}
        </button>
        {onCancel && (
          <button type="button" className="secondary" onClick={onCancel} disabled={busy}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
