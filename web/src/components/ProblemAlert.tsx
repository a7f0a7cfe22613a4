import { errorMessage } from "../api/problem";

/** An error in words, announced to screen readers; renders nothing without one. */
export function ProblemAlert({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p role="alert" className="alert error">
      {errorMessage(error)}
    </p>
  );
}
