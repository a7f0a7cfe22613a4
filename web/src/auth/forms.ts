// Errors from the API shown where they belong: beside the field they are about.
// Field problems (`errors[].loc`) arrive with a 422 validation error; a few coded
// problems are about one field too (a weak password, an age under 18, a taken
// username), and `FIELD_OF_CODE` says which.
import { useEffect, type RefObject } from "react";
import { ApiError } from "../api/problem";

const FIELD_OF_CODE: Record<string, string[]> = {
  weak_password: ["password", "new_password"],
  underage: ["date_of_birth"],
  username_taken: ["username"],
  wrong_password: ["current_password"],
  country_required: ["country"],
  country_not_allowed: ["country"],
};

function sentence(text: string): string {
  const trimmed = text.trim();
  if (!trimmed) return trimmed;
  const capital = trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** The message for `field` in `error`, if the API's answer is about that field. */
export function fieldError(error: unknown, field: string): string | undefined {
  if (!(error instanceof ApiError)) return undefined;
  const named = error.fieldMessage(field);
  if (named) return sentence(named);
  if (!FIELD_OF_CODE[error.code]?.includes(field)) return undefined;
  // A weak password's detail says which rule it broke; the others read best in our words.
  return error.code === "weak_password" && error.detail ? sentence(error.detail) : error.message;
}

/** Whether the API's answer points at a field (so the form's summary can say so). */
export function hasFieldErrors(error: unknown): boolean {
  return error instanceof ApiError && (error.fields.length > 0 || error.code in FIELD_OF_CODE);
}

/** Moves keyboard focus to the first field marked invalid after a failed submit, so a
 * keyboard or screen-reader user lands on what to fix. */
export function useFocusFirstInvalid(form: RefObject<HTMLFormElement | null>, error: unknown) {
  useEffect(() => {
    if (!error) return;
    form.current?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
  }, [form, error]);
}
