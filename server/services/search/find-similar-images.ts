import { AppError } from "~/server/app-error";
import { findRunImage } from "~/server/services/image-view/find-run-image";
import type { Db } from "~/server/store/db";
import { getRunSourceIndex } from "./cosine-index-cache";
import { describeHits } from "./describe-hits";
import type { SearchHit, SearchStats } from "./search-types";

export interface SimilarImages extends SearchStats {
  imageId: string;
  /** The image itself first (distance 0), then its k nearest others by cosine on the pooled features. */
  hits: SearchHit[];
}

/** The k images of a run most like one of its images in one source (pooled features, cosine). */
export async function findSimilarImages(options: {
  db: Db;
  runId: string;
  imageId: string;
  source: string;
  k: number;
}): Promise<SimilarImages> {
  const { db, runId, imageId, source, k } = options;
  await findRunImage(db, runId, { imageId });
  const { entry, isNew } = await getRunSourceIndex({ db, runId, source });
  const row = entry.rowOfImage.get(imageId);
  if (row === undefined)
    throw new AppError(
      "NOT_FOUND",
      `This image has no ${source} features in this run (not encoded, or failed).`,
    );
  const start = performance.now();
  const answer = entry.index.search(entry.index.row(row), k, new Set([row]));
  const searchMs = performance.now() - start;
  const rows = [row, ...answer.rows];
  const distances = [0, ...answer.distances];
  return {
    imageId,
    source,
    method: entry.index.method,
    indexed: entry.index.size,
    loadMs: isNew ? entry.loadMs : 0,
    searchMs,
    hits: await describeHits({ db, runId, imageIds: rows.map((r) => entry.imageIds[r] ?? ""), distances }),
  };
}
