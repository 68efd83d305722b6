import type { DbTransaction } from "~/server/store/db";
import type { JobKind, JobPayload } from "./job-kinds";
import type { JobStatus } from "./job-status";

/** A job as its readers see it (not its payload: that is the worker's business). */
export interface JobRecord {
  id: string;
  kind: JobKind;
  status: JobStatus;
  /** Work done of `total` (units are the kind's own; the job lifecycle writes thousandths). */
  progress: { done: number; total: number };
  /** Why it failed; null otherwise. */
  error: string | null;
  /** Someone asked to cancel it and its worker has not stopped yet. */
  isCancelRequested: boolean;
  /** What a completed job produced (JSON), else null. */
  result: unknown;
  createdAt: Date;
  updatedAt: Date;
}

export interface ClaimedJob {
  id: string;
  kind: JobKind;
  /** As stored: the job lifecycle parses it with the kind's schema before a handler sees it. */
  payload: unknown;
}

export interface ClaimOptions {
  workerId: string;
  kinds: readonly JobKind[];
  /** A running job whose heartbeat is older than this is claimable again (its worker died). */
  staleAfterMs: number;
  /** Claim this job only (a process running its own job). */
  jobId?: string;
}

export interface EnqueueOptions {
  /**
   * Enqueue once: while a job of this kind with the same key is queued or running (and not being cancelled), its
   * id is returned instead of a new job, so repeated clicks and several viewers of one view share one computation.
   */
  key?: string;
  /**
   * Write the job inside the caller's database transaction, so the caller's rows and the job exist together or
   * not at all. A queue outside the database (BullMQ) writes an outbox row here and posts it after the commit.
   */
  transaction?: DbTransaction;
}

/**
 * The one way to jobs: queued, claimed by one worker at a time, kept alive by heartbeats. A job whose worker stopped
 * heartbeating (killed, crashed) is claimable again, which is how runs resume. The embedded implementation is the
 * Job table (embedded-job-queue.ts); the scale-out one delivers jobs through BullMQ on Redis and keeps them in the same
 * table (bullmq-job-queue.ts). tests/integration/job-queue.test.ts holds both to this contract.
 */
export interface JobQueue {
  enqueue<K extends JobKind>(kind: K, payload: JobPayload<K>, options?: EnqueueOptions): Promise<string>;
  get(jobId: string): Promise<JobRecord | null>;
  /** The most recently completed job of a kind for a run, or null. */
  latestCompleted(kind: JobKind, runId: string): Promise<JobRecord | null>;
  /** Claims the oldest queued job, or a running one whose heartbeat is older than `staleAfterMs`. */
  claim(options: ClaimOptions): Promise<ClaimedJob | null>;
  /** The holding worker is alive; with `progress`, also how far it got. */
  heartbeat(jobId: string, workerId: string, progress?: { done: number; total: number }): Promise<void>;
  /** Marks the job completed with what it produced (JSON), kept on the job for readers. */
  complete(jobId: string, result?: unknown): Promise<void>;
  fail(jobId: string, message: string): Promise<void>;
  /** Marks the job cancelled (its worker stopped, or it never started). */
  markCancelled(jobId: string): Promise<void>;
  /** A queued job is cancelled at once; a running one is flagged and its worker stops at its next check. */
  requestCancel(jobId: string): Promise<void>;
  isCancelRequested(jobId: string): Promise<boolean>;
  /** Puts a finished (cancelled or failed) job back in the queue. */
  requeue(jobId: string): Promise<void>;
  /**
   * Forgets every job of a run that is not queued or running (a deleted run's history and results); returns how
   * many went. CONFLICT when one is still queued or running: cancel it first.
   */
  removeRunJobs(runId: string): Promise<number>;
  /** Closes the queue's own connections (Redis); the database client is not the queue's. */
  close(): Promise<void>;
}
