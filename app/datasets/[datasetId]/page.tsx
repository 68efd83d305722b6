import { fetchOrNotFound } from "../../_trpc/fetch-or-not-found";
import { getQueryClient, HydrateClient, trpc } from "../../_trpc/server";
import { DatasetView } from "./_components/dataset-view";

export const dynamic = "force-dynamic";

export default async function DatasetPage({ params }: { params: Promise<{ datasetId: string }> }) {
  const { datasetId } = await params;
  await fetchOrNotFound(() => getQueryClient().fetchQuery(trpc.datasets.get.queryOptions({ datasetId })));
  return (
    <HydrateClient>
      <DatasetView datasetId={datasetId} />
    </HydrateClient>
  );
}
