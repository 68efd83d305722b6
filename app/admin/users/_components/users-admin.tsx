"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "../../../_trpc/react";

const ROLES = ["viewer", "member", "admin"] as const;
type Role = (typeof ROLES)[number];

export function UsersAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const users = useQuery(trpc.users.list.queryOptions());
  const audit = useQuery(trpc.audit.list.queryOptions({ limit: 50 }));
  // Every change is also an audit entry: both lists are read again.
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.users.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.audit.list.queryKey() }),
    ]);
  const create = useMutation(trpc.users.create.mutationOptions({ onSuccess: refresh }));
  const setRole = useMutation(trpc.users.setRole.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(trpc.users.remove.mutationOptions({ onSuccess: refresh }));
  const [role, setNewRole] = useState<Role>("member");
  const error = create.error ?? setRole.error ?? remove.error ?? users.error;

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    create.mutate({
      email: String(form.get("email")),
      name: String(form.get("name")),
      password: String(form.get("password")),
      role,
    });
  };

  return (
    <>
      <form
        onSubmit={submit}
        className="flex flex-wrap items-end gap-2 rounded border border-line bg-panel p-4"
      >
        <input
          name="email"
          type="email"
          required
          placeholder="email"
          aria-label="Email"
          className="rounded border border-line bg-surface px-2 py-1"
        />
        <input
          name="name"
          required
          placeholder="name"
          aria-label="Name"
          className="rounded border border-line bg-surface px-2 py-1"
        />
        <input
          name="password"
          type="password"
          required
          minLength={10}
          placeholder="password (10+ characters)"
          aria-label="Password"
          className="rounded border border-line bg-surface px-2 py-1"
        />
        <select aria-label="Role" value={role} onChange={(e) => setNewRole(e.target.value as Role)}>
          {ROLES.map((choice) => (
            <option key={choice}>{choice}</option>
          ))}
        </select>
        <button
          type="submit"
          data-testid="user-create"
          className="rounded bg-accent px-3 py-1 text-sm text-surface"
        >
          Add account
        </button>
      </form>
      {error ? (
        <p role="alert" className="text-bad text-sm">
          {error.message}
        </p>
      ) : null}
      <table className="w-full text-sm" aria-label="Accounts">
        <tbody>
          {users.data?.map((user) => (
            <tr key={user.id} data-testid="user-row" className="border-line border-b">
              <td className="py-1">{user.email}</td>
              <td>{user.name}</td>
              <td>
                <select
                  aria-label={`Role of ${user.email}`}
                  value={user.role}
                  onChange={(e) => setRole.mutate({ userId: user.id, role: e.target.value as Role })}
                >
                  {ROLES.map((choice) => (
                    <option key={choice}>{choice}</option>
                  ))}
                </select>
              </td>
              <td className="text-right">
                <button
                  type="button"
                  onClick={() => remove.mutate({ userId: user.id })}
                  className="hover:text-bad"
                >
                  Remove
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2 className="font-semibold text-lg">Audit log</h2>
      <ul className="space-y-1 font-mono text-xs" aria-label="Audit log">
        {audit.data?.map((entry) => (
          <li key={entry.id}>
            {entry.at.toISOString()} {entry.actorEmail} {entry.action} {JSON.stringify(entry.detail)}
          </li>
        ))}
      </ul>
    </>
  );
}
