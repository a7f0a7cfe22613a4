import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { Link, useSearchParams } from "react-router";
import { api, unwrap } from "../../api/client";
import type { components } from "../../api/schema";
import { useMe, ME_KEY } from "../../auth/session";
import { ProblemAlert } from "../../components/ProblemAlert";
import { Field } from "../../components/Field";
import { ConfirmDialog } from "../../admin/ConfirmDialog";
import { PlayStatusFacts } from "../../admin/PlayStatusFacts";
import { formatMoment } from "../../admin/datetime";
import { Crumbs, PagedTable, useCursorPages } from "../../admin/parts";

type User = components["schemas"]["UserRead"];
type Role = components["schemas"]["Role"];
type UserStatus = components["schemas"]["UserStatus"];

const ROLES: { role: Role; label: string; what: string }[] = [
  { role: "player", label: "Player", what: "plays lots (every account)" },
  { role: "host", label: "Host", what: "hosts lots" },
  { role: "admin", label: "Admin", what: "this desk: lots, catalogue, users, payments" },
  { role: "auditor", label: "Auditor", what: "reads the whole ledger" },
];

const STATUS_WORDS: Record<UserStatus, string> = {
  active: "Active",
  suspended: "Suspended",
  banned: "Banned",
  deleted: "Deleted by its owner",
};

export default function UsersPage() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const selected = params.get("user");
  const [search, setSearch] = useState(q);
  const pages = useCursorPages();

  const users = useQuery({
    queryKey: ["admin", "users", q, pages.cursor],
    queryFn: async () =>
      unwrap(
        await api.GET("/api/admin/users", {
          params: { query: { q: q || undefined, limit: 25, cursor: pages.cursor } },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  function submit(event: FormEvent) {
    event.preventDefault();
    pages.reset();
    const next = new URLSearchParams();
    if (search.trim()) next.set("q", search.trim());
    setParams(next);
  }

  const select = (id: string | null) => {
    const next = new URLSearchParams(params);
    if (id) next.set("user", id);
    else next.delete("user");
    setParams(next);
  };

  return (
    <section aria-labelledby="users-title" className="stack">
      <Crumbs trail={[{ to: "/admin/users", label: "Users" }]} />
      <h1 id="users-title">Users</h1>
      <form role="search" onSubmit={submit} className="row" style={{ alignItems: "end", maxWidth: "40rem" }}>
        <div style={{ flex: "1 1 16rem" }}>
          <Field
            label="Search by email or username"
            type="search"
            value={search}
            onChange={(e) => setSearch(e.target.value)}
          />
        </div>
        <button type="submit" disabled={users.isFetching}>
          Search
        </button>
        {q && (
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setSearch("");
              pages.reset();
              setParams({});
            }}
          >
            Show everyone
          </button>
        )}
      </form>

      {selected && <UserDetail userId={selected} onClose={() => select(null)} />}

      <h2>{q ? `Accounts matching “${q}”` : "Every account"}</h2>
      <PagedTable
        label="Accounts"
        query={users}
        pages={pages}
        caption="Oldest first"
        columns={["Username", "Email", "Roles", "Status", "Joined"]}
        empty="No account matches."
        row={(user) => (
          <tr key={user.id} aria-current={user.id === selected ? "true" : undefined}>
            <td>
              <Link to={`/admin/users?${new URLSearchParams({ ...(q ? { q } : {}), user: user.id })}`}>
                {user.username}
              </Link>
            </td>
            <td>{user.email}</td>
            <td>{user.roles.join(", ")}</td>
            <td>{STATUS_WORDS[user.status]}</td>
            <td>{formatMoment(user.created_at)}</td>
          </tr>
        )}
      />
    </section>
  );
}

type Change = { kind: "roles"; roles: Role[] } | { kind: "status"; status: UserStatus };

function UserDetail({ userId, onClose }: { userId: string; onClose: () => void }) {
  const queryClient = useQueryClient();
  const me = useMe();
  const heading = useRef<HTMLHeadingElement>(null);
  const user = useQuery({
    queryKey: ["admin", "user", userId],
    queryFn: async () => unwrap(await api.GET("/api/admin/users/{user_id}", { params: { path: { user_id: userId } } })),
  });
  const [roles, setRoles] = useState<Role[] | null>(null);
  const [change, setChange] = useState<Change | null>(null);
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    heading.current?.focus();
  }, [userId]);
  useEffect(() => {
    if (user.data) setRoles(user.data.roles);
  }, [user.data]);

  const apply = useMutation({
    mutationFn: async (wanted: Change): Promise<User> => {
      const path = { params: { path: { user_id: userId } } };
      return wanted.kind === "roles"
        ? unwrap(await api.PUT("/api/admin/users/{user_id}/roles", { ...path, body: { roles: wanted.roles } }))
        : unwrap(await api.PUT("/api/admin/users/{user_id}/status", { ...path, body: { status: wanted.status } }));
    },
    onSuccess: (updated, wanted) => {
      queryClient.setQueryData(["admin", "user", userId], updated);
      void queryClient.invalidateQueries({ queryKey: ["admin", "users"] });
      if (updated.id === me.data?.id) void queryClient.invalidateQueries({ queryKey: ME_KEY });
      setNotice(
        wanted.kind === "roles"
          ? `Roles saved: ${updated.roles.join(", ")}.`
          : `${updated.username} is now ${STATUS_WORDS[updated.status].toLowerCase()}.`,
      );
      setChange(null);
    },
  });

  const ask = (wanted: Change) => {
    apply.reset();
    setNotice(null);
    setChange(wanted);
  };

  const data = user.data;
  const isSelf = data?.id === me.data?.id;
  const sameRoles = !!data && !!roles && [...roles].sort().join() === [...data.roles].sort().join();

  let dialogTitle = "";
  let dialogBody: React.ReactNode = null;
  let confirmLabel = "";
  if (data && change?.kind === "roles") {
    const added = change.roles.filter((r) => !data.roles.includes(r));
    const removed = data.roles.filter((r) => !change.roles.includes(r));
    dialogTitle = `Change ${data.username}'s roles?`;
    confirmLabel = "Save roles";
    dialogBody = (
      <>
        <p>
          {data.username} ({data.email}) will have the roles <strong>{change.roles.join(", ")}</strong>, from their next
          request.
        </p>
        <ul>
          {added.map((r) => (
            <li key={r}>
              Adds <strong>{r}</strong>: {ROLES.find((x) => x.role === r)?.what}.
            </li>
          ))}
          {removed.map((r) => (
            <li key={r}>
              Removes <strong>{r}</strong>.
            </li>
          ))}
        </ul>
      </>
    );
  } else if (data && change?.kind === "status") {
    const suspending = change.status !== "active";
    dialogTitle = suspending ? `Suspend ${data.username}?` : `Reactivate ${data.username}?`;
    confirmLabel = suspending ? "Suspend account" : "Reactivate account";
    dialogBody = suspending ? (
      <p>
        {data.username} ({data.email}) is logged out on every device at once and can't log in until an admin reactivates
        the account. Their tickets and credits stay as they are.
      </p>
    ) : (
      <p>{data.username} ({data.email}) can log in and play again.</p>
    );
  }

  return (
    <section aria-labelledby="user-title" className="card stack">
      <h2 id="user-title" tabIndex={-1} ref={heading} style={{ marginTop: 0 }}>
        {data ? data.username : "Account"}
      </h2>
      {user.isPending && <p role="status">Loading…</p>}
      <ProblemAlert error={user.error} />
      {notice && (
        <p role="status" className="alert ok">
          {notice}
        </p>
      )}
      {data && roles && (
        <>
          <dl className="facts">
            <dt>Email</dt>
            <dd className="mono">{data.email}</dd>
            <dt>Full name</dt>
            <dd>{data.full_name ?? "—"}</dd>
            <dt>Email confirmed</dt>
            <dd>{data.verified_email ? "yes" : "no"}</dd>
            <dt>Status</dt>
            <dd>{STATUS_WORDS[data.status]}</dd>
            <dt>Roles</dt>
            <dd>{data.roles.join(", ")}</dd>
            <dt>Joined</dt>
            <dd>{formatMoment(data.created_at)}</dd>
          </dl>
          <PlayStatusFacts userId={userId} />

          <form
            onSubmit={(event) => {
              event.preventDefault();
              ask({ kind: "roles", roles });
            }}
            style={{ maxWidth: "none" }}
          >
            <fieldset className="checks-fieldset">
              <legend>Roles</legend>
              <div className="checks">
                {ROLES.map(({ role, label }) => (
                  <label key={role}>
                    <input
                      type="checkbox"
                      checked={roles.includes(role)}
                      onChange={(e) =>
                        setRoles(e.target.checked ? [...roles, role] : roles.filter((r) => r !== role))
                      }
                    />
                    {label}
                  </label>
                ))}
              </div>
              {isSelf && (
                <p className="hint">
                  This is your own account: you can't remove your own admin role (another admin can).
                </p>
              )}
            </fieldset>
            <div className="row">
              <button type="submit" disabled={sameRoles || roles.length === 0 || apply.isPending}>
                Save roles…
              </button>
              {!sameRoles && (
                <button type="button" className="secondary" onClick={() => setRoles(data.roles)}>
                  Undo changes
                </button>
              )}
            </div>
          </form>

          <div className="row">
            {data.status === "deleted" ? (
              <p className="muted">
                The player deleted this account: their personal data is erased, and it cannot be reactivated.
              </p>
            ) : data.status === "active" ? (
              <button
                type="button"
                className="danger"
                onClick={() => ask({ kind: "status", status: "suspended" })}
                disabled={apply.isPending}
              >
                Suspend account…
              </button>
            ) : (
              <button
                type="button"
                onClick={() => ask({ kind: "status", status: "active" })}
                disabled={apply.isPending}
              >
                Reactivate account…
              </button>
            )}
            <button type="button" className="secondary" onClick={onClose}>
              Close
            </button>
          </div>
        </>
      )}
      <ConfirmDialog
        open={change !== null}
        title={dialogTitle}
        confirmLabel={confirmLabel}
        danger={change?.kind === "status" && change.status !== "active"}
        busy={apply.isPending}
        error={apply.error}
        onConfirm={() => change && apply.mutate(change)}
        onCancel={() => {
          setChange(null);
          apply.reset();
        }}
      >
        {dialogBody}
      </ConfirmDialog>
    </section>
  );
}
