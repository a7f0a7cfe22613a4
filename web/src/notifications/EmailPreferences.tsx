// The player's email choices (on /account, at #email-preferences, where the emails'
// "turn these off" link points): reminders and credits emails on by default, news and
// offers off; transactional emails are always sent, and the section says so.
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useLocation } from "react-router";
import { FormError } from "../auth/FormError";
import { ProblemAlert } from "../components/ProblemAlert";
import { changedPreferences, type Preferences, type PreferencesUpdate } from "./format";
import { usePreferences, useUpdatePreferences } from "./queries";
import "./notifications.css";

const CHOICES: { name: keyof PreferencesUpdate; label: string; hint: string }[] = [
  {
    name: "reminder_emails",
    label: "Reminders",
    hint: "A lot you entered is 90% funded, or closes within 24 hours.",
  },
  {
    name: "credits_emails",
    label: "Credits earned",
    hint: "The credits you earned when a lot you entered was drawn and you did not win.",
  },
  { name: "marketing_emails", label: "News and offers", hint: "New lots and platform news. Off unless you turn it on." },
];

export function EmailPreferences() {
  const preferences = usePreferences();
  const section = useRef<HTMLElement>(null);
  const { hash } = useLocation();
  const loaded = !!preferences.data;
  // Followed from an email's "turn these off" link: the page loads first, then this.
  useEffect(() => {
    if (hash === "#email-preferences" && loaded) section.current?.scrollIntoView();
  }, [hash, loaded]);
  return (
    <section
      ref={section}
      aria-labelledby="email-preferences-title"
      className="card stack email-preferences"
      id="email-preferences"
    >
      <h2 id="email-preferences-title">Email preferences</h2>
      <p className="muted">
        Emails about a win, a refund to choose or a refund made, and your account's security are always sent. You see
        every notification in the app whatever you choose here.
      </p>
      {preferences.isPending && <p role="status">Loading your email preferences…</p>}
      <ProblemAlert error={preferences.error} />
      {preferences.data && <PreferencesForm saved={preferences.data} />}
    </section>
  );
}

function PreferencesForm({ saved }: { saved: Preferences }) {
  const [wanted, setWanted] = useState<PreferencesUpdate>(saved);
  const save = useUpdatePreferences();
  useEffect(() => setWanted(saved), [saved]);
  const changes = changedPreferences(saved, wanted);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!save.isPending && Object.keys(changes).length > 0) save.mutate(changes);
  };
  return (
    <form onSubmit={submit} aria-label="Email preferences">
      <fieldset>
        <legend>Email me about</legend>
        {CHOICES.map((choice) => (
          <label key={choice.name} className="choice">
            <input
              type="checkbox"
              name={choice.name}
              checked={wanted[choice.name] ?? false}
              aria-describedby={`${choice.name}-hint`}
              onChange={(event) => {
                save.reset();
                setWanted({ ...wanted, [choice.name]: event.target.checked });
              }}
            />
            <span>
              {choice.label}
              <span id={`${choice.name}-hint`} className="hint">
                {choice.hint}
              </span>
            </span>
          </label>
        ))}
      </fieldset>
      <FormError error={save.error} />
      {save.isSuccess && (
        <p role="status" className="alert ok">
          Your email preferences are saved.
        </p>
      )}
      <div>
        <button type="submit" disabled={save.isPending || Object.keys(changes).length === 0}>
          {save.isPending ? "Saving…" : "Save email preferences"}
        </button>
      </div>
    </form>
  );
}
