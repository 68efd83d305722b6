import { AppError } from "~/server/app-error";
import { jobStatusSchema } from "~/server/jobs/job-status";
import type { Db } from "~/server/store/db";
import { type RunModelInfo, runModelInfoSchema, runSettingsSchema } from "./run-settings";
import type { RunStatus } from "./run-status";

export interface RunProgress {
  status: RunStatus;
  total: number;
  done: number;
  failed: number;
  /** Images per second over the recent images, and the time left at that pace; null before there is a pace. */
  imagesPerS: number | null;
  etaS: number | null;
  error: string | null;
}

export interface RunDetail extends RunProgress {
  id: string;
  name: string;
  datasetId: string;
  datasetName: string;
  modelDir: string;
  modelHash: string;
  /** The served model when the run was created; null for runs made before Lens recorded it. */
  modelInfo: RunModelInfo | null;
  prompts: string[];
  sources: string[];
  questions: string[];
  dtype: string;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

// The pace is measured over this many most recent images: recent enough to follow load changes, long enough to be stable.
const PACE_WINDOW = 16;

export async function getRunProgress(options: { db: Db; runId: string }): Promise<RunProgress> {
  const run = await options.db.run.findUnique({ where: { id: options.runId } });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${options.runId}.`);
  const recent = await options.db.runImage.findMany({
    where: { runId: run.id },
    orderBy: { createdAt: "desc" },
    take: PACE_WINDOW,
    select: { createdAt: true },
  });
  const newest = recent[0]?.createdAt.getTime();
  const oldest = recent.at(-1)?.createdAt.getTime();
  const imagesPerS =
    newest !== undefined && oldest !== undefined && newest > oldest
      ? ((recent.length - 1) * 1000) / (newest - oldest)
      : null;
  const remaining = run.total - run.done - run.failed;
  return {
    status: jobStatusSchema.parse(run.status),
    total: run.total,
    done: run.done,
    failed: run.failed,
    imagesPerS,
    etaS: run.status === "running" && imagesPerS !== null ? remaining / imagesPerS : null,
    error: run.error,
  };
}

export async function getRun(options: { db: Db; runId: string }): Promise<RunDetail> {
  const run = await options.db.run.findUnique({
    where: { id: options.runId },
    include: { dataset: { select: { name: true } } },
  });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${options.runId}.`);
  const settings = runSettingsSchema.parse({
    prompts: run.prompts,
    sources: run.sources,
    questions: run.questions,
    dtype: run.dtype,
  });
  return {
    ...(await getRunProgress(options)),
    id: run.id,
    name: run.name,
    datasetId: run.datasetId,
    datasetName: run.dataset.name,
    modelDir: run.modelDir,
    modelHash: run.modelHash,
    modelInfo: run.modelInfo === null ? null : runModelInfoSchema.parse(run.modelInfo),
    ...settings,
    createdAt: run.createdAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
  };
}

/** Finds a run by id or by name (the CLI accepts either). */
export async function findRunId(options: { db: Db; idOrName: string }): Promise<string> {
  const run = await options.db.run.findFirst({
    where: { OR: [{ id: options.idOrName }, { name: options.idOrName }] },
    select: { id: true },
  });
  if (run === null) throw new AppError("NOT_FOUND", `No run with id or name "${options.idOrName}".`);
  return run.id;
}
