import type { Db } from "~/server/store/db";

/** An image a run could not encode: the name it has in the dataset and why. */
export interface RunFailure {
  imageId: string;
  fileName: string;
  error: string;
}

/** A run's failed images in dataset order, each with its reason (at most `limit`). */
export async function listRunFailures(options: {
  db: Db;
  runId: string;
  limit?: number;
}): Promise<RunFailure[]> {
  const { db, runId } = options;
  const run = await db.run.findUniqueOrThrow({ where: { id: runId }, select: { datasetId: true } });
  const failed = await db.runImage.findMany({
    where: { runId, status: "failed" },
    select: { imageId: true, error: true },
  });
  const items = await db.datasetItem.findMany({
    where: { datasetId: run.datasetId, imageId: { in: failed.map((row) => row.imageId) } },
    orderBy: { position: "asc" },
    take: options.limit,
    select: { imageId: true, fileName: true },
  });
  const errors = new Map(failed.map((row) => [row.imageId, row.error ?? "no reason recorded"]));
  return items.map((item) => ({
    imageId: item.imageId,
    fileName: item.fileName,
    error: errors.get(item.imageId) ?? "",
  }));
}
