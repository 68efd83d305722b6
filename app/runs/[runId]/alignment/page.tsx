import { Suspense } from "react";
import { AlignmentRoute } from "./_components/alignment-route";

export const dynamic = "force-dynamic";

export default async function AlignmentPage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  return (
    <Suspense fallback={<p className="animate-pulse text-muted">Loading the alignment view…</p>}>
      <AlignmentRoute runId={runId} />
    </Suspense>
  );
}
