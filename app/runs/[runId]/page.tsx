import { fetchOrNotFound } from "../../_trpc/fetch-or-not-found";
import { getQueryClient, HydrateClient, trpc } from "../../_trpc/server";
import { RunView } from "./_components/run-view";

export const dynamic = "force-dynamic";

export default async function RunPage({ params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  await fetchOrNotFound(() => getQueryClient().fetchQuery(trpc.runs.get.queryOptions({ runId })));
  return (
    <HydrateClient>
      <RunView runId={runId} />
    </HydrateClient>
  );
}
