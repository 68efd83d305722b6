import { Suspense } from "react";
import { fetchOrNotFound } from "../../../_trpc/fetch-or-not-found";
import { getQueryClient, trpc } from "../../../_trpc/server";
import { AlignmentRoute } from "./_components/alignment-route";

export const dynamic = "force-dynamic";

export default async function AlignmentPage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  await fetchOrNotFound(() => getQueryClient().fetchQuery(trpc.runs.get.queryOptions({ runId })));
  return (
    <Suspense fallback={<p className="animate-pulse text-muted">Loading the alignment view…</p>}>
      <AlignmentRoute runId={runId} />
    </Suspense>
  );
}
