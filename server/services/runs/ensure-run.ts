import { AppError } from "~/server/app-error";
import type { JobQueue } from "~/server/jobs/job-queue";
import { isResumableStatus, jobStatusSchema } from "~/server/jobs/job-status";
import type { Db } from "~/server/store/db";
import { type RunStatus, requeueRunJob } from "./run-status";

export interface EnsuredRun {
  id: string;
  name: string;
  jobId: string;
  status: RunStatus;
  /** How it was found: made now, queued again from cancelled/failed, or found as it was. */
  how: "created" | "resumed" | "found";
}

/**
 * Finds a run by name, or creates it with `create`; with `resume`, a cancelled or failed run found is queued again,
 * so running the same command after a crash completes the run instead of starting over. The CLI's `fvl encode`
 * and the launcher's demo run both come through here. Null when `create` declines (returns null).
 */
export async function ensureRun(options: {
  db: Db;
  queue: JobQueue;
  name: string;
  resume: boolean;
  create: () => Promise<{ id: string } | null>;
}): Promise<EnsuredRun | null> {
  const { db } = options;
  let how: EnsuredRun["how"] = "found";
  let run = await db.run.findUnique({ where: { name: options.name } });
  if (run === null) {
    const created = await options.create();
    if (created === null) return null;
    run = await db.run.findUniqueOrThrow({ where: { id: created.id } });
    how = "created";
  }
  if (run.jobId === null) throw new AppError("CONFLICT", `Run "${run.name}" has no job.`);
  let status = jobStatusSchema.parse(run.status);
  if (options.resume && isResumableStatus(status)) {
    await requeueRunJob({ db, queue: options.queue, run: { id: run.id, jobId: run.jobId } });
    status = "queued";
    how = "resumed";
  }
  return { id: run.id, name: run.name, jobId: run.jobId, status, how };
}
