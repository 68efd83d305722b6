import { CatalogPanels } from "./_components/catalog-panels";
import { getQueryClient, HydrateClient, trpc } from "./_trpc/server";

// The catalog changes as runs progress; never serve a build-time snapshot.
export const dynamic = "force-dynamic";

export default async function HomePage() {
  const queryClient = getQueryClient();
  await Promise.all([
    queryClient.prefetchQuery(trpc.catalog.datasets.queryOptions()),
    queryClient.prefetchQuery(trpc.catalog.runs.queryOptions()),
  ]);
  return (
    <HydrateClient>
      <div className="mb-8">
        <h1 className="font-semibold text-2xl tracking-tight">Datasets &amp; runs</h1>
        <p className="mt-1 max-w-2xl text-muted text-sm">
          Encode image sets with Florence-VL's vision encoder and depth-breadth fusion, then study the stored
          per-depth and per-prompt features.
        </p>
      </div>
      <CatalogPanels />
    </HydrateClient>
  );
}
