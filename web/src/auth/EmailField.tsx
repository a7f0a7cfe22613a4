// The account's email address, as every account form asks for it (autofill included).
import type { ChangeEvent } from "react";
import { Field } from "../components/Field";
import { fieldError } from "./forms";

type Props = {
  value: string;
  onChange: (event: ChangeEvent<HTMLInputElement>) => void;
  /** The request's error: an `email` problem is shown beside the field. */
  error: unknown;
};

export function EmailField({ value, onChange, error }: Props) {
  return (
    <Field
      label="Email"
      type="email"
      name="email"
      autoComplete="email"
      required
      value={value}
      onChange={onChange}
      error={fieldError(error, "email")}
    />
  );
}
