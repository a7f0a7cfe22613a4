// A new password typed twice, with the API's rules as the hint: the reset page and the
// account page's change-password form ask for it the same way.
import { Field } from "../components/Field";
import { fieldError } from "./forms";
import { PASSWORD_RULES } from "./passwordRules";

type Props = {
  password: string;
  confirm: string;
  onPassword: (value: string) => void;
  onConfirm: (value: string) => void;
  /** The two differ (checked on submit, before anything is sent). */
  mismatch: boolean;
  /** The request's error: a `new_password` problem is shown beside the field. */
  error: unknown;
};

export function NewPasswordFields({ password, confirm, onPassword, onConfirm, mismatch, error }: Props) {
  return (
    <>
      <Field
        label="New password"
        type="password"
        name="new_password"
        autoComplete="new-password"
        required
        value={password}
        onChange={(event) => onPassword(event.target.value)}
        hint={PASSWORD_RULES}
        error={fieldError(error, "new_password")}
      />
      <Field
        label="Confirm new password"
        type="password"
        name="confirm_password"
        autoComplete="new-password"
        required
        value={confirm}
        onChange={(event) => onConfirm(event.target.value)}
        error={mismatch ? "The two passwords don't match." : undefined}
      />
      {mismatch && (
        <p role="alert" className="alert error">
          The two new passwords don't match. Type the same new password twice.
        </p>
      )}
    </>
  );
}
