"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useCallback, useState } from "react";
import { ConfirmDelete } from "~/app/_components/confirm-delete";
import { StartRunForm } from "~/app/_components/start-run-form";
import { useTRPC } from "~/app/_trpc/react";
import { DatasetGrid } from "./dataset-grid";
import { DatasetRuns } from "./dataset-runs";

// A few screenfuls of thumbnails per request; more load as the grid scrolls.
const PAGE_SIZE = 120;

/** A dataset: its images (virtualised grid with captions and labels), unreadable files, runs, and deletion. */
export function DatasetView({ datasetId }: { datasetId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const dataset = useQuery(trpc.datasets.get.queryOptions({ datasetId }));
  const items = useInfiniteQuery(
    trpc.datasets.items.infiniteQueryOptions(
      { datasetId, limit: PAGE_SIZE },
      {
        initialCursor: 0,
        getNextPageParam: (last, pages) => {
          const loaded = pages.reduce((n, page) => n + page.items.length, 0);
          return loaded < last.total ? loaded : undefined;
        },
      },
    ),
  );
  const [isDeletionAsked, setIsDeletionAsked] = useState(false);
  const deletion = useQuery({
    ...trpc.datasets.deletion.queryOptions({ datasetId }),
    enabled: isDeletionAsked,
  });
  const remove = useMutation(
    trpc.datasets.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.catalog.pathKey() });
        router.push("/");
      },
    }),
  );
  const { fetchNextPage } = items;
  const loadMore = useCallback(() => void fetchNextPage(), [fetchNextPage]);

  if (dataset.isPending) return <p className="animate-pulse text-muted">Loading dataset…</p>;
  if (dataset.isError) {
    return (
      <p role="alert" className="text-bad">
        {dataset.error.message} <Link href="/">Back to the datasets</Link>
      </p>
    );
  }
  const detail = dataset.data;
  const loaded = items.data?.pages.flatMap((page) => page.items) ?? [];
  const plan = deletion.data;
  return (
    <div className="space-y-6" data-testid="dataset-view" data-dataset-id={detail.id}>
      <header className="space-y-2">
        <Link href="/" className="text-muted text-sm hover:text-white">
          ← Datasets &amp; runs
        </Link>
        <h1 className="font-semibold text-2xl tracking-tight">{detail.name}</h1>
        <p className="text-muted text-sm" data-testid="dataset-counts">
          <span data-testid="image-count" data-count={detail.imageCount}>
            {detail.imageCount} images
          </span>
          {" · "}
          <span data-testid="problem-count" data-count={detail.itemCount - detail.imageCount}>
            {detail.itemCount - detail.imageCount} unreadable
          </span>
          {" · "}
          {detail.captionCount} captions
          {detail.labelNames.length > 0 ? ` · labels: ${detail.labelNames.join(", ")}` : ""} · {detail.source}
          {detail.rootPath !== null ? ` from ${detail.rootPath}` : ""}
        </p>
        <ConfirmDelete
          label="Delete dataset"
          testId="delete-dataset"
          onOpen={() => setIsDeletionAsked(true)}
          onConfirm={() => remove.mutate({ datasetId })}
          isDeleting={remove.isPending}
          error={remove.isError ? remove.error.message : deletion.isError ? deletion.error.message : null}
          summary={
            plan === undefined ? null : (
              <p data-testid="delete-dataset-summary">
                Deletes the dataset <strong>{plan.name}</strong> with its {plan.items} items
                {plan.runs.length > 0
                  ? `, its ${plan.runs.length} run(s) (${plan.runs.map((run) => run.name).join(", ")}) with their feature files and answers`
                  : ""}
                , and {plan.imagesRemoved} image file(s) with their thumbnails.
                {plan.imagesKept > 0
                  ? ` ${plan.imagesKept} image(s) stay: another dataset or run holds them too.`
                  : ""}
              </p>
            )
          }
        />
      </header>
      {detail.problems.length > 0 ? (
        <section aria-label="Unreadable files" data-testid="dataset-problems">
          <h2 className="mb-2 font-medium text-muted text-sm uppercase tracking-wide">
            Files that could not be read
          </h2>
          <ul className="divide-y divide-line rounded border border-line text-sm">
            {detail.problems.map((problem) => (
              <li key={problem.itemId} className="px-3 py-1" data-testid="dataset-problem">
                <span className="font-mono">{problem.fileName}</span>
                <span className="text-muted"> — {problem.problem}</span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <DatasetRuns runs={detail.runs} />
      <StartRunForm datasetId={detail.id} />
      <section aria-label="Images">
        <h2 className="mb-3 font-medium text-muted text-sm uppercase tracking-wide">Images</h2>
        {items.isPending ? (
          <p className="animate-pulse text-muted text-sm">Loading images…</p>
        ) : items.isError ? (
          <p role="alert" className="text-bad text-sm">
            {items.error.message}
          </p>
        ) : (
          <DatasetGrid
            items={loaded}
            total={items.data.pages.at(-1)?.total ?? loaded.length}
            hasMore={items.hasNextPage}
            isLoadingMore={items.isFetchingNextPage}
            onLoadMore={loadMore}
          />
        )}
      </section>
    </div>
  );
}
