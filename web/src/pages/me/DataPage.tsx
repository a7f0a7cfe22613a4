// Your data: download everything the platform holds about you, or delete your account
// (password and the word DELETE; what is erased, kept and forfeited is said first).
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { api, unwrap } from "../../api/client";
import { useLeaveAndForget, type LoginState } from "../../auth/actions";
import { Field } from "../../components/Field";
import { ProblemAlert } from "../../components/ProblemAlert";
import { canDelete, CONFIRM_WORD, CREDITS_NOTE, ERASED, exportFileName, KEPT, saveJson } from "../../me/dataRights";
import { MeNav } from "../../me/MeNav";
import "../../me/me.css";

export default function DataPage() {
  const leave = useLeaveAndForget();
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");

  const download = useMutation({
    mutationFn: async () => unwrap(await api.GET("/api/users/me/export")),
    onSuccess: (document) => saveJson(document, exportFileName(new Date())),
  });
  const remove = useMutation({
    mutationFn: async () =>
      unwrap(await api.DELETE("/api/users/me", { body: { password, confirm: CONFIRM_WORD } })),
    onSuccess: async () => {
      const state: LoginState = { reason: "account_deleted" };
      await leave("/login", { state });
    },
  });

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (canDelete(password, confirm)) remove.mutate();
  };

  return (
    <section aria-labelledby="data-title">
      <MeNav />
      <h1 id="data-title">Your data</h1>

      <section className="card" aria-labelledby="export-title">
        <h2 id="export-title">Download your data</h2>
        <p>
          One JSON file with everything we hold about you: your account, sessions, purchases, tickets, credits,
          results, prize claims (with your address), notifications and, if you host, your host profile and payouts.
          Your password is never included; the file lists what is left out and why.
        </p>
        <button type="button" onClick={() => download.mutate()} disabled={download.isPending}>
          {download.isPending ? "Preparing…" : "Download my data"}
        </button>
        {download.isSuccess && <p role="status">Your file is downloaded.</p>}
        <ProblemAlert error={download.error} />
      </section>

      <section className="card" aria-labelledby="delete-title">
        <h2 id="delete-title">Delete your account</h2>
        <p>Deleting your account signs you out everywhere and cannot be undone. We erase:</p>
        <ul>
          {ERASED.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
        <p>We keep, because others depend on them or the law requires it:</p>
        <ul>
          {KEPT.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
        <p>
          <strong>{CREDITS_NOTE}</strong> While you hold tickets in a lot not yet drawn, a prize is on its way, or we
          owe you money, deleting waits until that is done.
        </p>
        <form onSubmit={submit} noValidate>
          <Field
            label="Password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
          />
          <Field
            label={`Type ${CONFIRM_WORD} to confirm`}
            value={confirm}
            autoComplete="off"
            onChange={(event) => setConfirm(event.target.value)}
          />
          <ProblemAlert error={remove.error} />
          <button type="submit" className="danger" disabled={!canDelete(password, confirm) || remove.isPending}>
            {remove.isPending ? "Deleting…" : "Delete my account"}
          </button>
        </form>
      </section>
    </section>
  );
}
