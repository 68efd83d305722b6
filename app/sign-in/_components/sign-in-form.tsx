"use client";

import { useQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "../../_trpc/react";

/** Posts to better-auth's sign-in endpoint (app/api/auth); the session cookie it sets is HTTP-only. */
export function SignInForm({ next }: { next: string }) {
  const trpc = useTRPC();
  const session = useQuery(trpc.auth.session.queryOptions());
  const [error, setError] = useState<string | null>(null);
  const [isPending, setPending] = useState(false);

  const signIn = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    setPending(true);
    setError(null);
    const response = await fetch("/api/auth/sign-in/email", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: form.get("email"), password: form.get("password") }),
    });
    setPending(false);
    if (response.ok) {
      window.location.assign(next);
      return;
    }
    if (response.status === 429) {
      const wait = response.headers.get("x-retry-after");
      setError(`Too many attempts from this computer. Try again in ${wait ?? "a"} seconds.`);
    } else if (response.status === 401) setError("Wrong email or password.");
    else setError(`Signing in failed (HTTP ${response.status}).`);
  };

  const signInWithOidc = async () => {
    const response = await fetch("/api/auth/sign-in/oauth2", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ providerId: "oidc", callbackURL: next }),
    });
    const body = (await response.json()) as { url?: string };
    if (body.url) window.location.assign(body.url);
    else setError("The sign-in provider did not answer.");
  };

  if (session.data?.isEnabled === false)
    return (
      <p className="mt-4 text-sm" data-testid="auth-off">
        Access control is off on this server (it only listens on this computer): there is nothing to sign in
        to.
      </p>
    );
  return (
    <form onSubmit={signIn} className="mt-6 space-y-3">
      <label className="block text-sm">
        Email
        <input
          name="email"
          type="email"
          required
          autoComplete="username"
          className="mt-1 w-full rounded border border-line bg-surface px-2 py-1"
        />
      </label>
      <label className="block text-sm">
        Password
        <input
          name="password"
          type="password"
          required
          autoComplete="current-password"
          className="mt-1 w-full rounded border border-line bg-surface px-2 py-1"
        />
      </label>
      {error === null ? null : (
        <p role="alert" className="text-bad text-sm">
          {error}
        </p>
      )}
      <button
        type="submit"
        data-testid="sign-in-submit"
        disabled={isPending}
        className="w-full rounded bg-accent px-3 py-1.5 text-sm text-surface disabled:opacity-50"
      >
        {isPending ? "Signing in…" : "Sign in"}
      </button>
      {session.data?.oidcName ? (
        <button
          type="button"
          onClick={signInWithOidc}
          className="w-full rounded border border-line px-3 py-1.5 text-sm hover:border-accent"
        >
          Sign in with {session.data.oidcName}
        </button>
      ) : null}
    </form>
  );
}
