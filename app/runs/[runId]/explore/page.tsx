import { Suspense } from "react";
import { ExploreRoute } from "./_components/explore-route";

export const dynamic = "force-dynamic";

export default async function ExplorePage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  return (
    <Suspense fallback={<p className="animate-pulse text-muted">Loading the explorer…</p>}>
      <ExploreRoute runId={runId} />
    </Suspense>
  );
}
