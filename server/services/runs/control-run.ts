import { AppError } from "~/server/app-error";
import type { JobQueue } from "~/server/jobs/job-queue";
import type { Db } from "~/server/store/db";
import { cancelRunJob, requeueRunJob } from "./run-status";

async function runWithJob(db: Db, runId: string) {
  const run = await db.run.findUnique({ where: { id: runId } });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${runId}.`);
  if (run.jobId === null) throw new AppError("CONFLICT", `Run "${run.name}" has no job.`);
  return { ...run, jobId: run.jobId };
}

/** Stops a run after its current batch; what is stored stays stored. */
export async function cancelRun(options: { db: Db; queue: JobQueue; runId: string }): Promise<void> {
  const run = await runWithJob(options.db, options.runId);
  if (run.status === "completed") throw new AppError("CONFLICT", `Run "${run.name}" is already complete.`);
  await cancelRunJob({ ...options, run });
}

/** Queues a cancelled or failed run again; it continues with the images not stored yet. */
export async function resumeRun(options: { db: Db; queue: JobQueue; runId: string }): Promise<void> {
  const run = await runWithJob(options.db, options.runId);
  if (run.status !== "cancelled" && run.status !== "failed") {
    throw new AppError(
      "CONFLICT",
      `Run "${run.name}" is ${run.status}; only cancelled or failed runs resume.`,
    );
  }
  await requeueRunJob({ ...options, run });
}
