import { AppError } from "~/server/app-error";
import type { JobQueue } from "~/server/jobs/job-queue";
import type { JobStatus } from "~/server/jobs/job-status";

export interface JobView {
  id: string;
  kind: string;
  status: JobStatus;
  /** Progress in [0, 1]. */
  fraction: number;
  /** Why it failed (null otherwise). */
  error: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A job's status and progress (not its payload or result: those are read through their own services). */
export async function getJob(options: { queue: JobQueue; jobId: string }): Promise<JobView> {
  const job = await options.queue.get(options.jobId);
  if (job === null) throw new AppError("NOT_FOUND", `No job ${options.jobId}.`);
  const { done, total } = job.progress;
  return {
    id: job.id,
    kind: job.kind,
    status: job.status,
    fraction: job.status === "completed" ? 1 : total > 0 ? Math.min(1, done / total) : 0,
    error: job.status === "failed" ? job.error : null,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}

/** Asks an analysis job to stop: a queued one is cancelled at once, a running one within seconds. */
export async function cancelAnalysisJob(options: { queue: JobQueue; jobId: string }): Promise<void> {
  const job = await options.queue.get(options.jobId);
  if (job === null) throw new AppError("NOT_FOUND", `No job ${options.jobId}.`);
  // Encoding runs are cancelled through their run, which keeps its own status.
  if (job.kind === "encode-run") throw new AppError("BAD_INPUT", "Cancel an encoding run from its run page.");
  await options.queue.requestCancel(options.jobId);
}
