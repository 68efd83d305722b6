import { Suspense } from "react";
import { ImageViewRoute } from "./_components/image-view-route";

export const dynamic = "force-dynamic";

export default async function ImagePage({ params }: { params: Promise<{ runId: string; imageId: string }> }) {
  const { runId, imageId } = await params;
  return (
    <Suspense fallback={<p className="animate-pulse text-muted">Loading the image view…</p>}>
      <ImageViewRoute runId={runId} imageId={imageId} />
    </Suspense>
  );
}
