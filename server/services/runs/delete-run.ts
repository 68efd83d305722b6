import { AppError } from "~/server/app-error";
import type { FeatureStore } from "~/server/features/feature-store";
import type { JobQueue } from "~/server/jobs/job-queue";
import { isActiveStatus, jobStatusSchema } from "~/server/jobs/job-status";
import { removeUnusedImages } from "~/server/store/content-store";
import type { Db } from "~/server/store/db";

/** What deleting a run takes with it, for the confirmation that names it. */
export interface RunDeletion {
  runId: string;
  name: string;
  datasetName: string;
  /** Images with a stored result (feature file and answers, or a failure). */
  results: number;
  featureFiles: number;
  projections: number;
}

export async function describeRunDeletion(options: { db: Db; runId: string }): Promise<RunDeletion> {
  const run = await options.db.run.findUnique({
    where: { id: options.runId },
    select: {
      id: true,
      name: true,
      dataset: { select: { name: true } },
      _count: { select: { images: true, projections: true } },
    },
  });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${options.runId}.`);
  const featureFiles = await options.db.runImage.count({
    where: { runId: run.id, featureFile: { not: null } },
  });
  return {
    runId: run.id,
    name: run.name,
    datasetName: run.dataset.name,
    results: run._count.images,
    featureFiles,
    projections: run._count.projections,
  };
}

/**
 * Deletes a run: its rows (results, answers, pooled vectors, projections), its finished jobs and its feature
 * files. A queued or running run is refused (cancel it first), so no worker writes into a run that is going.
 * Rows go before files: a crash between the two leaves files without rows, never rows pointing at no file.
 */
export async function deleteRun(options: {
  db: Db;
  queue: JobQueue;
  features: FeatureStore;
  dataDir: string;
  runId: string;
}): Promise<RunDeletion & { removedFeatureFiles: number }> {
  const { db, runId } = options;
  const deletion = await describeRunDeletion({ db, runId });
  const run = await db.run.findUniqueOrThrow({ where: { id: runId }, select: { status: true } });
  if (isActiveStatus(jobStatusSchema.parse(run.status)))
    throw new AppError("CONFLICT", `Run "${deletion.name}" is ${run.status}; cancel it before deleting it.`);
  await options.queue.removeRunJobs(runId);
  const imageIds = (await db.runImage.findMany({ where: { runId }, select: { imageId: true } })).map(
    (row) => row.imageId,
  );
  await db.run.delete({ where: { id: runId } });
  const removedFeatureFiles = await options.features.removeRun(runId);
  // The run's dataset normally still holds its images; this only frees those it held alone.
  await removeUnusedImages({ db, dataDir: options.dataDir, imageIds });
  return { ...deletion, removedFeatureFiles };
}
