// /account (logged in): the profile (username and full name are the player's to
// change; the email is not), the password, and the sessions (this device, everywhere).
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { ProblemAlert } from "../../components/ProblemAlert";
import { useLeaveAndForget, useLogout, useLogoutEverywhere, type LoginState } from "../../auth/actions";
import { FormError } from "../../auth/FormError";
import { fieldError, useFocusFirstInvalid } from "../../auth/forms";
import { NewPasswordFields } from "../../auth/NewPasswordFields";
import { ResendButton } from "../../auth/ResendVerification";
import { ME_KEY, useMe, type Me } from "../../auth/session";
import { EmailPreferences } from "../../notifications/EmailPreferences";
import { IdentityCheck } from "../../compliance/IdentityCheck";
import "../../auth/auth.css";

const DATE: Intl.DateTimeFormatOptions = { year: "numeric", month: "long", day: "numeric" };

/** A calendar date ("1990-04-01"): the same day in every time zone. */
function formatDay(day: string): string {
  return new Date(`${day}T00:00:00Z`).toLocaleDateString(undefined, { ...DATE, timeZone: "UTC" });
}

/** A moment, as the day it was where the player is. */
function formatDate(iso: string): string {
  return new Date(iso).toLocaleDateString(undefined, DATE);
}

function Profile({ me }: { me: Me }) {
  const queryClient = useQueryClient();
  const [username, setUsername] = useState(me.username);
  const [fullName, setFullName] = useState(me.full_name ?? "");
  const form = useRef<HTMLFormElement>(null);
  const save = useMutation({
    mutationFn: async () => {
      // Only what changed; an emptied full name is not sent (the API keeps a name once given).
      const body: { username?: string; full_name?: string } = {};
      if (username.trim() !== me.username) body.username = username.trim();
      if (fullName.trim() && fullName.trim() !== (me.full_name ?? "")) body.full_name = fullName.trim();
      return unwrap(await api.PATCH("/api/users/me", { body }));
    },
    onSuccess: (updated) => {
      queryClient.setQueryData(ME_KEY, updated);
      setUsername(updated.username);
      setFullName(updated.full_name ?? "");
    },
  });
  useFocusFirstInvalid(form, save.error);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!save.isPending) save.mutate();
  };
  return (
    <section aria-labelledby="profile-title" className="card stack">
      <h2 id="profile-title">Profile</h2>
      <dl className="facts">
        <dt>Email</dt>
        <dd>{me.email}</dd>
        <dt>Email confirmed</dt>
        <dd>{me.verified_email ? "Yes" : "Not yet"}</dd>
        {me.date_of_birth && (
          <>
            <dt>Date of birth</dt>
            <dd>{formatDay(me.date_of_birth)}</dd>
          </>
        )}
        <dt>Member since</dt>
        <dd>{formatDate(me.created_at)}</dd>
        {me.country && (
          <>
            <dt>Country</dt>
            <dd>{me.country}</dd>
          </>
        )}
        {me.terms?.accepted_terms_version && (
          <>
            <dt>Terms accepted</dt>
            <dd>
              <Link to="/terms">Terms</Link> version {me.terms.accepted_terms_version},{" "}
              <Link to="/privacy">Privacy notice</Link> version {me.terms.accepted_privacy_version}
              {me.terms.accepted_at ? ` (${formatDate(me.terms.accepted_at)})` : ""}
            </dd>
          </>
        )}
      </dl>
      {!me.verified_email && (
        <div className="alert info stack">
          <p>Confirm your email address to buy tickets: open the link we emailed you.</p>
          <ResendButton />
        </div>
      )}
      <p className="muted">To change your email address, contact support.</p>
      <form ref={form} onSubmit={submit} noValidate aria-label="Profile">
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          required
          value={username}
          onChange={(event) => setUsername(event.target.value)}
          hint="3 to 32 letters, digits or underscores. Other players see it on leaderboards."
          error={fieldError(save.error, "username")}
        />
        <Field
          label="Full name"
          name="full_name"
          autoComplete="name"
          value={fullName}
          onChange={(event) => setFullName(event.target.value)}
          hint="Used to deliver a prize you win."
          error={fieldError(save.error, "full_name")}
        />
        <FormError error={save.error} />
        {save.isSuccess && (
          <p role="status" className="alert ok">
            Your profile is saved.
          </p>
        )}
        <div>
          <button type="submit" disabled={save.isPending}>
            {save.isPending ? "Saving…" : "Save profile"}
          </button>
        </div>
      </form>
    </section>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const [confirm, setConfirm] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const form = useRef<HTMLFormElement>(null);
  const leave = useLeaveAndForget();
  const change = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/api/auth/password/change", {
          body: { current_password: current, new_password: next },
        }),
      ),
    // The API ends every session, this one too, and clears the cookies: log in again.
    onSuccess: () => leave("/login", { replace: true, state: { reason: "password_changed" } satisfies LoginState }),
  });
  useFocusFirstInvalid(form, change.error ?? (mismatch ? "mismatch" : null));
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (change.isPending) return;
    const differs = next !== confirm;
    setMismatch(differs);
    if (!differs) change.mutate();
  };
  return (
    <section aria-labelledby="password-title" className="card stack">
      <h2 id="password-title">Change password</h2>
      <p className="muted">Every device logged in to your account, this one too, will be logged out.</p>
      <form ref={form} onSubmit={submit} noValidate aria-label="Change password">
        <Field
          label="Current password"
          type="password"
          name="current_password"
          autoComplete="current-password"
          required
          value={current}
          onChange={(event) => setCurrent(event.target.value)}
          error={fieldError(change.error, "current_password")}
        />
        <NewPasswordFields
          password={next}
          confirm={confirm}
          onPassword={setNext}
          onConfirm={setConfirm}
          mismatch={mismatch}
          error={change.error}
        />
        <FormError error={change.error} />
        <div>
          <button type="submit" disabled={change.isPending}>
            {change.isPending ? "Changing…" : "Change password"}
          </button>
        </div>
      </form>
    </section>
  );
}

function Sessions() {
  const logout = useLogout();
  const everywhere = useLogoutEverywhere();
  const busy = logout.isPending || everywhere.isPending;
  return (
    <section aria-labelledby="sessions-title" className="card stack">
      <h2 id="sessions-title">Log out</h2>
      <p className="muted">
        Log out here, or on every device where you're logged in (use it if you logged in on a computer
        that isn't yours).
      </p>
      <div className="auth-actions">
        <button type="button" disabled={busy} onClick={() => logout.mutate()}>
          {logout.isPending ? "Logging out…" : "Log out"}
        </button>
        <button type="button" className="danger" disabled={busy} onClick={() => everywhere.mutate()}>
          {everywhere.isPending ? "Logging out everywhere…" : "Log out everywhere"}
        </button>
      </div>
      <ProblemAlert error={logout.error ?? everywhere.error} />
    </section>
  );
}

export default function AccountPage() {
  const me = useMe();
  // RequireAuth renders this page only for a logged-in player.
  if (!me.data) return null;
  return (
    <div className="account-page stack">
      <h1>Your account</h1>
      <nav aria-label="Your play">
        <ul className="auth-links">
          <li>
            <Link to="/me/entries">My entries</Link>
          </li>
          <li>
            <Link to="/me/reveals">My results</Link>
          </li>
          <li>
            <Link to="/me/credits">Credits</Link>
          </li>
          <li>
            <Link to="/me/notifications">Notifications</Link>
          </li>
        </ul>
      </nav>
      <Profile me={me.data} />
      <IdentityCheck me={me.data} />
      <EmailPreferences />
      <ChangePassword />
      <Sessions />
    </div>
  );
}
