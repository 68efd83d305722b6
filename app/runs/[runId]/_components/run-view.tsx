"use client";

import { useInfiniteQuery, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback } from "react";
import { DeleteRunButton } from "../../../_components/delete-run-button";
import { describeServedModel } from "../../../_components/served-model";
import { useTRPC } from "../../../_trpc/react";
import { RunGallery } from "./run-gallery";
import { RunProgress } from "./run-progress";

// A few screenfuls of cards per request; more load as the gallery scrolls.
const PAGE_SIZE = 48;
const RUN_POLL_MS = 2_000;

export function RunView({ runId }: { runId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  // Re-read while the run is going, so what depends on its status (the delete button) follows it to the end.
  const run = useQuery({
    ...trpc.runs.get.queryOptions({ runId }),
    refetchInterval: (query) =>
      query.state.data?.status === "queued" || query.state.data?.status === "running" ? RUN_POLL_MS : false,
  });
  const images = useInfiniteQuery(
    trpc.runs.images.infiniteQueryOptions(
      { runId, limit: PAGE_SIZE },
      {
        initialCursor: 0,
        getNextPageParam: (last, pages) => {
          const loaded = pages.reduce((n, page) => n + page.items.length, 0);
          return loaded < last.total ? loaded : undefined;
        },
      },
    ),
  );
  const { fetchNextPage } = images;
  const loadMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);
  if (run.isPending) return <p className="animate-pulse text-muted">Loading run…</p>;
  if (run.isError) {
    return (
      <p role="alert" className="text-bad">
        {run.error.message} <Link href="/">Back to the runs</Link>
      </p>
    );
  }
  const detail = run.data;
  const items = images.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <div className="space-y-6">
      <header>
        <Link href="/" className="text-muted text-sm hover:text-white">
          ← Datasets &amp; runs
        </Link>
        <h1 className="mt-1 font-semibold text-2xl tracking-tight">{detail.name}</h1>
        <p className="text-muted text-sm">
          <Link href={`/datasets/${detail.datasetId}`} className="hover:text-accent">
            {detail.datasetName}
          </Link>{" "}
          · {detail.dtype} features · prompts {detail.prompts.join(", ")}
        </p>
        <p className="text-muted text-sm" data-testid="run-model">
          Model{" "}
          {detail.modelInfo === null
            ? detail.modelDir.split("/").at(-1)
            : describeServedModel(detail.modelInfo)}{" "}
          ({detail.modelHash.slice(0, 8)})
        </p>
        <Link
          href={`/runs/${runId}/explore`}
          data-testid="explore-link"
          className="mt-3 inline-block rounded border border-line px-3 py-1 text-sm hover:border-accent"
        >
          Explore projections →
        </Link>
        <Link
          href={`/runs/${runId}/alignment`}
          data-testid="alignment-link"
          className="mt-3 ml-2 inline-block rounded border border-line px-3 py-1 text-sm hover:border-accent"
        >
          Alignment with text →
        </Link>
        {detail.status === "queued" || detail.status === "running" ? null : (
          <div className="mt-3">
            <DeleteRunButton runId={runId} onDeleted={() => router.push(`/datasets/${detail.datasetId}`)} />
          </div>
        )}
      </header>
      <RunProgress runId={runId} />
      <section aria-label="Gallery">
        <h2 className="mb-3 font-medium text-muted text-sm uppercase tracking-wide">Images and answers</h2>
        {images.isPending ? (
          <p className="animate-pulse text-muted text-sm">Loading images…</p>
        ) : images.isError ? (
          <p role="alert" className="text-bad text-sm">
            {images.error.message}
          </p>
        ) : items.length === 0 ? (
          <p className="text-muted text-sm">This run's dataset has no images.</p>
        ) : (
          <RunGallery
            items={items}
            total={images.data.pages.at(-1)?.total ?? items.length}
            hasMore={images.hasNextPage}
            isLoadingMore={images.isFetchingNextPage}
            onLoadMore={loadMore}
          />
        )}
      </section>
    </div>
  );
}
