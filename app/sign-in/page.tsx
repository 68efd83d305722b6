import type { Metadata } from "next";
import { SignInForm } from "./_components/sign-in-form";

export const metadata: Metadata = { title: "Sign in · Florence-VL Lens" };

/** Email + password (and OpenID Connect when configured); `next` is where to go afterwards. */
export default async function SignInPage({ searchParams }: { searchParams: Promise<{ next?: string }> }) {
  const { next } = await searchParams;
  // Only paths of this dashboard: a sign-in link must not send anyone elsewhere.
  const target = next?.startsWith("/") && !next.startsWith("//") ? next : "/";
  return (
    <section className="mx-auto mt-12 max-w-sm rounded-lg border border-line bg-panel p-8">
      <h1 className="font-semibold text-xl">Sign in</h1>
      <p className="mt-1 text-muted text-sm">
        This dashboard is shared: sign in with the account your lab gave you.
      </p>
      <SignInForm next={target} />
    </section>
  );
}
