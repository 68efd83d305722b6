import { z } from "zod";

/**
 * The one list of job states, shared by every kind and by the runs whose status follows their encoding job:
 * queued → running → completed | cancelled | failed; a cancelled or failed job may be queued again (resume).
 */
export const JOB_STATUSES = ["queued", "running", "cancelled", "completed", "failed"] as const;
export const jobStatusSchema = z.enum(JOB_STATUSES);
export type JobStatus = z.infer<typeof jobStatusSchema>;

/** How a job ended. */
export type JobOutcome = Extract<JobStatus, "cancelled" | "completed" | "failed">;

/** States in which a job still has work ahead of it. */
export const ACTIVE_JOB_STATUSES = ["queued", "running"] as const satisfies readonly JobStatus[];

/** States a job may be resumed from. */
export const RESUMABLE_JOB_STATUSES = ["cancelled", "failed"] as const satisfies readonly JobStatus[];

export function isActiveStatus(status: JobStatus): boolean {
  return (ACTIVE_JOB_STATUSES as readonly JobStatus[]).includes(status);
}

export function isResumableStatus(status: JobStatus): boolean {
  return (RESUMABLE_JOB_STATUSES as readonly JobStatus[]).includes(status);
}
