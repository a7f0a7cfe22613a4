// The register form's country of residence: a choice among the countries the server
// offers (GET /api/terms `selectable_countries`): required when there is an allow-list.
import { useId, useMemo } from "react";
import { countryOptions } from "./terms";

type Props = {
  countries: readonly string[];
  required: boolean;
  value: string;
  onChange: (code: string) => void;
  error?: string | undefined;
};

export function CountrySelect({ countries, required, value, onChange, error }: Props) {
  const id = useId();
  const options = useMemo(() => countryOptions(countries), [countries]);
  const hintId = `${id}-hint`;
  const errorId = error ? `${id}-error` : undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{required ? "Country of residence" : "Country of residence (optional)"}</label>
      <select
        id={id}
        name="country"
        required={required}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={[hintId, errorId].filter(Boolean).join(" ")}
      >
        <option value="">{required ? "Choose your country" : "Not given"}</option>
        {options.map((option) => (
          <option key={option.code} value={option.code}>
            {option.name}
          </option>
        ))}
      </select>
      <small id={hintId} className="hint">
        {required
          ? "ALOT! is open to players in these countries only."
          : "Where you live. Some countries' rules apply to prize draws."}
      </small>
      {error && (
        <small id={errorId} className="field-error">
          {error}
        </small>
      )}
    </div>
  );
}
