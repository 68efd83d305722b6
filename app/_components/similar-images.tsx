"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "~/app/_trpc/react";
import { ImageThumbnail } from "./image-thumbnail";
import { SourceSelect } from "./source-select";

// Thumbnails in the panel: the image itself and its 11 nearest, two rows of six.
const NEIGHBOURS = 12;

interface SimilarImagesProps {
  runId: string;
  imageId: string;
  /** The run's sources with features; the panel searches one at a time. */
  sources: readonly string[];
  source: string;
  onSource: (source: string) => void;
  /** Select these images in the explorer (absent on the image view). */
  onSelect?: (imageIds: string[]) => void;
}

/**
 * "Similar images": the image itself (distance 0), then its nearest images by cosine on one source's pooled
 * features, each linked to its image view, with the distance under it.
 */
export function SimilarImages({ runId, imageId, sources, source, onSource, onSelect }: SimilarImagesProps) {
  const trpc = useTRPC();
  const answer = useQuery({
    ...trpc.search.similarImages.queryOptions({ runId, imageId, source, k: NEIGHBOURS - 1 }),
    enabled: source !== "",
  });
  return (
    <section aria-label="Similar images" data-testid="similar-images" className="space-y-2">
      <div className="flex flex-wrap items-center gap-3">
        <h2 className="font-medium text-muted text-sm uppercase tracking-wide">Similar images</h2>
        <SourceSelect
          label="by"
          labelClassName="flex items-center gap-2 text-muted text-sm"
          sources={sources}
          value={source}
          onPick={onSource}
          data-testid="similar-source"
          className="rounded border border-line bg-panel px-2 py-0.5 text-white"
        />
        {answer.data && onSelect ? (
          <button
            type="button"
            onClick={() => onSelect(answer.data.hits.map((hit) => hit.imageId))}
            className="rounded border border-line px-2 py-0.5 text-sm hover:border-accent"
          >
            Select these
          </button>
        ) : null}
        {answer.data ? (
          <span className="text-muted text-xs">
            cosine distance · {answer.data.method} search over {answer.data.indexed} images ·{" "}
            {answer.data.searchMs.toFixed(1)} ms
          </span>
        ) : null}
      </div>
      {answer.isPending && source !== "" ? (
        <p className="animate-pulse text-muted text-sm">Searching…</p>
      ) : null}
      {answer.isError ? (
        <p role="alert" className="text-bad text-sm">
          {answer.error.message}
        </p>
      ) : null}
      {answer.data ? (
        <ol className="grid grid-cols-[repeat(auto-fill,minmax(6.5rem,1fr))] gap-2">
          {answer.data.hits.map((hit) => (
            <li
              key={hit.imageId}
              data-testid="similar-hit"
              data-image-id={hit.imageId}
              data-distance={hit.distance}
            >
              <Link
                href={`/runs/${runId}/images/${hit.imageId}`}
                title={hit.caption ?? hit.fileName}
                className="block overflow-hidden rounded border border-line bg-panel hover:border-accent"
              >
                <ImageThumbnail image={hit} />
                <span className="flex justify-between gap-1 px-1 py-0.5 text-xs">
                  <span className="truncate">{hit.fileName}</span>
                  <span className="text-muted tabular-nums">{hit.distance.toFixed(3)}</span>
                </span>
              </Link>
            </li>
          ))}
        </ol>
      ) : null}
    </section>
  );
}
