import type { JobQueue } from "~/server/jobs/job-queue";
import type { JobOutcome, JobStatus } from "~/server/jobs/job-status";
import type { Db } from "~/server/store/db";
import type { RunDetail } from "./get-run";

/**
 * A run's status follows its encoding job, and is written here only, each time next to the job change it mirrors:
 * the run is created with its job (one transaction), starts when the worker starts the job, ends as the job ends,
 * is cancelled or queued again with it. Readers (pages, CLI) read `Run.status`, which is therefore never ahead of
 * or behind the job by more than the one write that pairs them.
 */
export type RunStatus = JobStatus;

/** What a new run records: its dataset, model and settings (as `getRun` shows them), batch size and image count. */
export type NewRun = Pick<
  RunDetail,
  "name" | "datasetId" | "modelDir" | "modelHash" | "prompts" | "sources" | "questions" | "dtype"
> & {
  /** Absent only where a run is made without an inference server to ask (tests that make runs directly). */
  modelInfo?: NonNullable<RunDetail["modelInfo"]>;
  batchSize: number;
  total: number;
};

/** Creates a run and its encoding job together: a crash between the two leaves neither. */
export async function createRunWithJob(options: {
  db: Db;
  queue: JobQueue;
  run: NewRun;
}): Promise<{ id: string; name: string; jobId: string }> {
  return options.db.$transaction(async (tx) => {
    const run = await tx.run.create({ data: { ...options.run, status: "queued" } });
    const jobId = await options.queue.enqueue("encode-run", { runId: run.id }, { transaction: tx });
    await tx.run.update({ where: { id: run.id }, data: { jobId } });
    return { id: run.id, name: run.name, jobId };
  });
}

/** The worker started (or resumed) the run's job. */
export async function markRunStarted(options: { db: Db; runId: string; total: number }): Promise<void> {
  const run = await options.db.run.findUniqueOrThrow({
    where: { id: options.runId },
    select: { startedAt: true },
  });
  await options.db.run.update({
    where: { id: options.runId },
    data: { status: "running", total: options.total, startedAt: run.startedAt ?? new Date(), error: null },
  });
}

/** The run's job ended. */
export async function markRunEnded(options: {
  db: Db;
  runId: string;
  outcome: JobOutcome;
  error: string | null;
}): Promise<void> {
  const data =
    options.outcome === "completed"
      ? { status: "completed", finishedAt: new Date() }
      : options.outcome === "failed"
        ? { status: "failed", error: options.error }
        : { status: "cancelled" };
  await options.db.run.update({ where: { id: options.runId }, data });
}

/** Asks the run's job to stop; a run still queued is cancelled at once, as its job is. */
export async function cancelRunJob(options: {
  db: Db;
  queue: JobQueue;
  run: { id: string; status: string; jobId: string };
}): Promise<void> {
  await options.queue.requestCancel(options.run.jobId);
  if (options.run.status === "queued")
    await options.db.run.update({ where: { id: options.run.id }, data: { status: "cancelled" } });
}

/** Queues the run's cancelled or failed job again; the run is queued with it. */
export async function requeueRunJob(options: {
  db: Db;
  queue: JobQueue;
  run: { id: string; jobId: string };
}): Promise<void> {
  await options.queue.requeue(options.run.jobId);
  await options.db.run.update({ where: { id: options.run.id }, data: { status: "queued", error: null } });
}
