// Create an account. The API answers 202 for any email (it never says whether one
// already has an account), so success is always "check your email".
import { useMutation, useQuery } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { Field } from "../../components/Field";
import { FormError } from "../../auth/FormError";
import { fieldError, useFocusFirstInvalid } from "../../auth/forms";
import { PASSWORD_RULES } from "../../auth/passwordRules";
import { ResendButton } from "../../auth/ResendVerification";
import { CountrySelect } from "../../compliance/CountrySelect";
import { TERMS_KEY, acceptanceStatement, fetchTerms } from "../../compliance/terms";
import { ProblemAlert } from "../../components/ProblemAlert";
import "../../auth/auth.css";

type RegisterBody = components["schemas"]["RegisterRequest"];
type Form = {
  email: string;
  username: string;
  password: string;
  date_of_birth: string;
  full_name: string;
  country: string;
};
const EMPTY: Form = { email: "", username: "", password: "", date_of_birth: "", full_name: "", country: "" };

/** The latest date of birth that is 18 today (for the date picker's `max`). */
function eighteenYearsAgo(today = new Date()): string {
  const d = new Date(Date.UTC(today.getFullYear() - 18, today.getMonth(), today.getDate()));
  return d.toISOString().slice(0, 10);
}

export default function RegisterPage() {
  const [values, setValues] = useState<Form>(EMPTY);
  const form = useRef<HTMLFormElement>(null);
  const terms = useQuery({ queryKey: TERMS_KEY, queryFn: fetchTerms, staleTime: 60_000 });
  const register = useMutation({
    mutationFn: async (body: Form) =>
      unwrap(
        await api.POST("/api/auth/register", {
          body: {
            email: body.email.trim(),
            username: body.username.trim(),
            password: body.password,
            // An empty date is sent as it is: the API names the field in its answer.
            date_of_birth: body.date_of_birth,
            full_name: body.full_name.trim() || null,
            // A code from the select (the server's list): the API checks it again.
            country: (body.country || null) as RegisterBody["country"],
          },
        }),
      ),
  });
  useFocusFirstInvalid(form, register.error);

  const set = (name: keyof Form) => (event: React.ChangeEvent<HTMLInputElement>) =>
    setValues((current) => ({ ...current, [name]: event.target.value }));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!register.isPending) register.mutate(values);
  };

  if (register.isSuccess) {
    const email = register.variables.email.trim();
    return (
      <section className="auth-page" aria-labelledby="register-title">
        <h1 id="register-title">Check your email</h1>
        <p role="status" className="alert ok">
          We've sent a link to <strong>{email}</strong>. Open it to confirm your address, then log in.
        </p>
        <p>
          The link works for 48 hours. If nothing arrives within a few minutes, check your spam folder
          or ask for it again.
        </p>
        <ResendButton email={email} />
        <p className="auth-actions">
          <Link to="/login">Log in</Link>
        </p>
      </section>
    );
  }

  return (
    <section className="auth-page" aria-labelledby="register-title">
      <h1 id="register-title">Create your account</h1>
      <p>
        Already have one? <Link to="/login">Log in</Link>
      </p>
      <form ref={form} onSubmit={submit} noValidate>
        <Field
          label="Email"
          type="email"
          name="email"
          autoComplete="email"
          required
          value={values.email}
          onChange={set("email")}
          hint="We send a link to confirm it."
          error={fieldError(register.error, "email")}
        />
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          required
          value={values.username}
          onChange={set("username")}
          hint="3 to 32 letters, digits or underscores. Other players see it on leaderboards."
          error={fieldError(register.error, "username")}
        />
        <Field
          label="Password"
          type="password"
          name="password"
          autoComplete="new-password"
          required
          value={values.password}
          onChange={set("password")}
          hint={PASSWORD_RULES}
          error={fieldError(register.error, "password")}
        />
        <Field
          label="Date of birth"
          type="date"
          name="date_of_birth"
          autoComplete="bday"
          required
          max={eighteenYearsAgo()}
          value={values.date_of_birth}
          onChange={set("date_of_birth")}
          hint="You must be 18 or older to play: ALOT! draws are games of chance, for adults only. We keep your date of birth encrypted and use it only to check your age."
          error={fieldError(register.error, "date_of_birth")}
        />
        <Field
          label="Full name (optional)"
          name="full_name"
          autoComplete="name"
          value={values.full_name}
          onChange={set("full_name")}
          hint="Used to deliver a prize you win. You can add it later."
          error={fieldError(register.error, "full_name")}
        />
        {terms.data && (
          <CountrySelect
            countries={terms.data.selectable_countries}
            required={terms.data.country_required}
            value={values.country}
            onChange={(country) => setValues((current) => ({ ...current, country }))}
            error={fieldError(register.error, "country")}
          />
        )}
        <FormError error={register.error} />
        {terms.isError && <ProblemAlert error={terms.error} />}
        {terms.data && (
          <p className="acceptance-statement">
            {acceptanceStatement(terms.data)} Read the <Link to="/terms">Terms</Link> and the{" "}
            <Link to="/privacy">Privacy notice</Link>.
          </p>
        )}
        <div>
          <button type="submit" disabled={register.isPending || !terms.data}>
            {register.isPending ? "Creating your account…" : "Create account"}
          </button>
        </div>
      </form>
    </section>
  );
}
