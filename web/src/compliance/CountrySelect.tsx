// The register form's country of residence: a choice among the allowed countries
// (required then), or among all of them (optional) when the platform has no allow-list.
import { useId, useMemo } from "react";
import { countryOptions } from "./terms";

type Props = {
  allowed: readonly string[];
  required: boolean;
  value: string;
  onChange: (code: string) => void;
  error?: string | undefined;
};

export function CountrySelect({ allowed, required, value, onChange, error }: Props) {
  const id = useId();
  const options = useMemo(() => countryOptions(allowed), [allowed]);
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
