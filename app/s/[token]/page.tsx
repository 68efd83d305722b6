import { TRPCError } from "@trpc/server";
import type { Metadata } from "next";
import { headers } from "next/headers";
import { createCaller } from "~/server/api/root";
import { createApiContext } from "~/server/api/trpc";
import { LinkUnavailable } from "./_components/link-unavailable";
import { SharedExplorer } from "./_components/shared-explorer";

// A link can be revoked or expire at any moment: resolve it on every request.
export const dynamic = "force-dynamic";

// Shared links are private to whoever holds them: keep them out of search engines and referrers.
export const metadata: Metadata = {
  title: "Shared view · Florence-VL Lens",
  robots: { index: false, follow: false },
  referrer: "no-referrer",
};

// The one kind of view a link opens today: a run's projection explorer.
const EXPLORER_VIEW = /^\/runs\/([^/?#]+)\/explore$/;

/** A read-only shared view, resolved on the server; an unknown, revoked or expired token says so and nothing else. */
export default async function SharedViewPage({ params }: { params: Promise<{ token: string }> }) {
  const { token } = await params;
  const opened = await createCaller(await createApiContext({ headers: new Headers(await headers()) }))
    .share.resolve({ token })
    .catch((error: unknown) => {
      // A malformed token (too long, say) is refused by input validation: to a visitor it is just unknown.
      if (error instanceof TRPCError && error.code === "BAD_REQUEST") return null;
      throw error;
    });
  if (opened === null) return <LinkUnavailable reason="unknown" />;
  if (!opened.isAvailable) return <LinkUnavailable reason={opened.reason} />;
  const runId = EXPLORER_VIEW.exec(opened.view)?.[1];
  if (runId === undefined) return <LinkUnavailable reason="unknown" />;
  return (
    <SharedExplorer
      runId={decodeURIComponent(runId)}
      state={opened.state}
      pinnedProjectionIds={opened.pinnedProjectionIds}
    />
  );
}
