import { Suspense } from "react";
import { fetchOrNotFound } from "../../../_trpc/fetch-or-not-found";
import { getQueryClient, HydrateClient, trpc } from "../../../_trpc/server";
import { ExploreRoute } from "./_components/explore-route";

export const dynamic = "force-dynamic";

export default async function ExplorePage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  // An unknown run is the 404 page (and status), like the run, image and dataset pages.
  await fetchOrNotFound(() => getQueryClient().fetchQuery(trpc.runs.get.queryOptions({ runId })));
  // The panels' layouts are asked for once the sources are known: streamed with the page, they are there when it
  // hydrates instead of a round trip later.
  void getQueryClient().prefetchQuery(trpc.analysis.sources.queryOptions({ runId }));
  return (
    <HydrateClient>
      <Suspense fallback={<p className="animate-pulse text-muted">Loading the explorer…</p>}>
        <ExploreRoute runId={runId} />
      </Suspense>
    </HydrateClient>
  );
}
