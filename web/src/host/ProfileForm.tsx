// The host application / profile form (apply, and edit: a rejected application edited
// is submitted again for review).
import { useState, type FormEvent } from "react";
import { Field } from "../components/Field";
import { ProblemAlert } from "../components/ProblemAlert";
import type { components } from "../api/schema";

export type Application = components["schemas"]["HostApply"];

export function ProfileForm({
  initial,
  submitLabel,
  busy,
  error,
  onSubmit,
}: {
  initial?: Partial<Application>;
  submitLabel: string;
  busy: boolean;
  error: unknown;
  onSubmit: (body: Application) => void;
}) {
  const details = initial?.business_details;
  const [displayName, setDisplayName] = useState(initial?.display_name ?? "");
  const [description, setDescription] = useState(initial?.description ?? "");
  const [logoUrl, setLogoUrl] = useState(initial?.logo_url ?? "");
  const [websiteUrl, setWebsiteUrl] = useState(initial?.website_url ?? "");
  const [country, setCountry] = useState(initial?.country ?? "");
  const [legalName, setLegalName] = useState(details?.legal_name ?? "");
  const [registration, setRegistration] = useState(details?.registration_number ?? "");
  const [vat, setVat] = useState(details?.vat_number ?? "");
  const [address, setAddress] = useState((details?.address_lines ?? []).join("\n"));

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit({
      display_name: displayName,
      description: description || null,
      logo_url: logoUrl || null,
      website_url: websiteUrl || null,
      country,
      business_details: {
        legal_name: legalName,
        registration_number: registration,
        vat_number: vat || null,
        address_lines: address
          .split("\n")
          .map((line) => line.trim())
          .filter(Boolean),
      },
    });
  }

  return (
    <form className="stack" onSubmit={submit}>
      <fieldset className="stack">
        <legend>Your shop, as players see it</legend>
        <Field label="Display name" value={displayName} onChange={(e) => setDisplayName(e.target.value)} required maxLength={255} />
        <div className="field">
          <label htmlFor="host-description">Description</label>
          <textarea id="host-description" value={description} onChange={(e) => setDescription(e.target.value)} rows={3} />
        </div>
        <Field label="Logo URL" type="url" value={logoUrl} onChange={(e) => setLogoUrl(e.target.value)} hint="https:// only" />
        <Field label="Website" type="url" value={websiteUrl} onChange={(e) => setWebsiteUrl(e.target.value)} hint="https:// only" />
        <Field
          label="Country"
          value={country}
          onChange={(e) => setCountry(e.target.value.toUpperCase())}
          required
          maxLength={2}
          hint="Two letters (ISO 3166), e.g. GB, US, FR"
        />
      </fieldset>
      <fieldset className="stack">
        <legend>Business details (seen by ALOT! only)</legend>
        <Field label="Legal name" value={legalName} onChange={(e) => setLegalName(e.target.value)} required />
        <Field label="Registration number" value={registration} onChange={(e) => setRegistration(e.target.value)} required />
        <Field label="VAT number (optional)" value={vat} onChange={(e) => setVat(e.target.value)} />
        <div className="field">
          <label htmlFor="host-address">Business address (one line per row)</label>
          <textarea id="host-address" value={address} onChange={(e) => setAddress(e.target.value)} rows={3} required />
        </div>
      </fieldset>
      <ProblemAlert error={error} />
      <div>
        <button type="submit" disabled={busy}>
          {busy ? "Sending…" : submitLabel}
        </button>
      </div>
    </form>
  );
}
