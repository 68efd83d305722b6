import { AppError } from "~/server/app-error";
import type { FeatureStore } from "~/server/features/feature-store";
import type { JobQueue } from "~/server/jobs/job-queue";
import { ACTIVE_JOB_STATUSES } from "~/server/jobs/job-status";
import { removeUnusedImages } from "~/server/store/content-store";
import type { Db } from "~/server/store/db";
import { deleteRun } from "../runs/delete-run";

/** What deleting a dataset takes with it, for the confirmation that names it. */
export interface DatasetDeletion {
  datasetId: string;
  name: string;
  items: number;
  runs: { id: string; name: string }[];
  /** Images (files and thumbnails) only this dataset holds: they go. */
  imagesRemoved: number;
  /** Images another dataset or run also holds: they stay. */
  imagesKept: number;
}

export async function describeDatasetDeletion(options: {
  db: Db;
  datasetId: string;
}): Promise<DatasetDeletion> {
  const { db, datasetId } = options;
  const dataset = await db.dataset.findUnique({
    where: { id: datasetId },
    select: {
      id: true,
      name: true,
      runs: { select: { id: true, name: true }, orderBy: { createdAt: "asc" } },
      _count: { select: { items: true } },
    },
  });
  if (dataset === null) throw new AppError("NOT_FOUND", `No dataset ${datasetId}.`);
  const imagesKept = await db.image.count({
    where: {
      items: { some: { datasetId } },
      OR: [
        { items: { some: { datasetId: { not: datasetId } } } },
        { results: { some: { run: { datasetId: { not: datasetId } } } } },
      ],
    },
  });
  return {
    datasetId: dataset.id,
    name: dataset.name,
    items: dataset._count.items,
    runs: dataset.runs,
    imagesRemoved: dataset._count.items - imagesKept,
    imagesKept,
  };
}

/**
 * Deletes a dataset: each of its runs (as `deleteRun`), its items, and the images no other dataset or run
 * holds (rows, files, thumbnails). Refused while one of its runs is queued or running.
 */
export async function deleteDataset(options: {
  db: Db;
  queue: JobQueue;
  features: FeatureStore;
  dataDir: string;
  datasetId: string;
}): Promise<DatasetDeletion & { removedImageFiles: number }> {
  const { db, datasetId } = options;
  const deletion = await describeDatasetDeletion({ db, datasetId });
  const active = await db.run.findFirst({
    where: { datasetId, status: { in: [...ACTIVE_JOB_STATUSES] } },
    select: { name: true, status: true },
  });
  if (active !== null)
    throw new AppError(
      "CONFLICT",
      `Run "${active.name}" on this dataset is ${active.status}; cancel it first.`,
    );
  for (const run of deletion.runs) await deleteRun({ ...options, runId: run.id });
  const imageIds = (await db.datasetItem.findMany({ where: { datasetId }, select: { imageId: true } })).map(
    (row) => row.imageId,
  );
  await db.dataset.delete({ where: { id: datasetId } });
  const removed = await removeUnusedImages({ db, dataDir: options.dataDir, imageIds });
  return { ...deletion, removedImageFiles: removed.files };
}
