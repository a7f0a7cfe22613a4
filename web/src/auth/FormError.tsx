import { ApiError } from "../api/problem";
import { ProblemAlert } from "../components/ProblemAlert";
import { hasFieldErrors } from "./forms";

/** A form's error summary, announced: for problems tied to fields it says what is wrong
 * and points at the fields (whose own messages sit beside them); otherwise the
 * problem in words. */
export function FormError({ error }: { error: unknown }) {
  if (!error) return null;
  if (hasFieldErrors(error)) {
    const coded = error instanceof ApiError && error.code !== "validation_error";
    return (
      <p role="alert" className="alert error">
        {coded ? `${(error as ApiError).message} ` : ""}
        Check the field{(error as ApiError).fields.length > 1 ? "s" : ""} marked below.
      </p>
    );
  }
  return <ProblemAlert error={error} />;
}
