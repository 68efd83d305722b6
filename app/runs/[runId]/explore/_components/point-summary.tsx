"use client";

import { thumbnailUrl } from "~/app/_components/image-thumbnail";
import { usePointDetails } from "./explorer-data";

/** The hover card of a point: thumbnail, file name and caption, fetched for this point when it is hovered. */
export function PointSummary({ runId, index }: { runId: string; index: number }) {
  const point = usePointDetails(runId, { indices: [index] }).data?.[0];
  if (point === undefined) return <p className="animate-pulse text-muted">Loading…</p>;
  return (
    <div data-testid="hover-card">
      {/* biome-ignore lint/performance/noImgElement: content-addressed WebP thumbnails need no optimizer. */}
      <img
        src={thumbnailUrl(point.sha256)}
        alt=""
        className="mb-1 aspect-square w-full rounded bg-black object-cover"
      />
      <div className="truncate font-medium">{point.fileName}</div>
      {point.caption ? <p className="line-clamp-3 text-muted">{point.caption}</p> : null}
    </div>
  );
}
