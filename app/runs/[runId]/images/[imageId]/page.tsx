import { Suspense } from "react";
import { fetchOrNotFound } from "../../../../_trpc/fetch-or-not-found";
import { getQueryClient, trpc } from "../../../../_trpc/server";
import { ImageViewRoute } from "./_components/image-view-route";

export const dynamic = "force-dynamic";

export default async function ImagePage({ params }: { params: Promise<{ runId: string; imageId: string }> }) {
  const { runId, imageId } = await params;
  await fetchOrNotFound(() =>
    getQueryClient().fetchQuery(trpc.imageView.summary.queryOptions({ runId, imageId })),
  );
  return (
    <Suspense fallback={<p className="animate-pulse text-muted">Loading the image view…</p>}>
      <ImageViewRoute runId={runId} imageId={imageId} />
    </Suspense>
  );
}
