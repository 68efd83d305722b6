"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "../_trpc/react";

/** The header's access-control mode: off (one local user), or who is signed in, with sign-out. */
export function AccountStatus() {
  const trpc = useTRPC();
  const session = useQuery(trpc.auth.session.queryOptions());
  const data = session.data;
  if (data === undefined) return null;
  if (!data.isEnabled)
    return (
      <span
        data-testid="auth-mode"
        data-mode="off"
        className="text-muted text-xs"
        title="The server listens on this computer only (AUTH=auto), or AUTH=off: no accounts."
      >
        Access control off · local user
      </span>
    );
  if (data.user === null)
    return (
      <span data-testid="auth-mode" data-mode="on" className="text-muted text-xs">
        Access control on ·{" "}
        <Link href="/sign-in" className="text-accent hover:underline">
          sign in
        </Link>
      </span>
    );
  const signOut = async () => {
    await fetch("/api/auth/sign-out", { method: "POST" });
    window.location.assign("/sign-in");
  };
  return (
    <span data-testid="auth-mode" data-mode="on" className="flex items-center gap-2 text-muted text-xs">
      <span data-testid="signed-in-as">
        {data.user.email} · {data.user.role}
      </span>
      {data.user.role === "admin" ? (
        <Link href="/admin/users" className="text-accent hover:underline">
          Accounts
        </Link>
      ) : null}
      <button type="button" data-testid="sign-out" onClick={signOut} className="hover:text-white">
        Sign out
      </button>
    </span>
  );
}
