import type { Db } from "~/server/store/db";

export type JobKind = "encode-run" | "projection" | "alignment";
export type JobStatus = "queued" | "running" | "cancelled" | "completed" | "failed";

export interface ClaimedJob {
  id: string;
  kind: JobKind;
  payload: unknown;
}

/**
 * Long work as jobs: queued, claimed by one worker at a time, kept alive by heartbeats. A job whose worker stopped
 * heartbeating (killed, crashed) is claimable again, which is how runs resume. The embedded queue is the Job table;
 * a scale-out queue (BullMQ on Redis) would implement the same interface.
 */
export interface JobQueue {
  enqueue(kind: JobKind, payload: unknown): Promise<string>;
  /** Claims the oldest queued job, or a running one whose heartbeat is older than `staleAfterMs`. */
  claim(options: {
    workerId: string;
    kinds: readonly JobKind[];
    staleAfterMs: number;
    jobId?: string;
  }): Promise<ClaimedJob | null>;
  heartbeat(jobId: string, workerId: string, progress?: { done: number; total: number }): Promise<void>;
  finish(jobId: string, status: Exclude<JobStatus, "queued" | "running">, error?: string): Promise<void>;
  /** Marks the job completed with what it produced (JSON), kept on the job for readers. */
  complete(jobId: string, result: unknown): Promise<void>;
  requestCancel(jobId: string): Promise<void>;
  isCancelRequested(jobId: string): Promise<boolean>;
  /** Puts a finished (cancelled or failed) job back in the queue. */
  requeue(jobId: string): Promise<void>;
}

export class EmbeddedJobQueue implements JobQueue {
  constructor(private readonly db: Db) {}

  async enqueue(kind: JobKind, payload: unknown): Promise<string> {
    const job = await this.db.job.create({ data: { kind, payload: payload as object } });
    return job.id;
  }

  async claim(options: {
    workerId: string;
    kinds: readonly JobKind[];
    staleAfterMs: number;
    jobId?: string;
  }): Promise<ClaimedJob | null> {
    const staleBefore = new Date(Date.now() - options.staleAfterMs);
    const claimable = {
      kind: { in: [...options.kinds] },
      ...(options.jobId ? { id: options.jobId } : {}),
      OR: [{ status: "queued" }, { status: "running", heartbeatAt: { lt: staleBefore } }],
    };
    const candidate = await this.db.job.findFirst({ where: claimable, orderBy: { createdAt: "asc" } });
    if (candidate === null) return null;
    // The conditional update is the lock: of two workers racing for one job, only one changes a row.
    const { count } = await this.db.job.updateMany({
      where: { ...claimable, id: candidate.id },
      data: { status: "running", lockedBy: options.workerId, heartbeatAt: new Date() },
    });
    if (count !== 1) return null;
    return { id: candidate.id, kind: candidate.kind as JobKind, payload: candidate.payload };
  }

  async heartbeat(
    jobId: string,
    workerId: string,
    progress?: { done: number; total: number },
  ): Promise<void> {
    await this.db.job.updateMany({
      where: { id: jobId, lockedBy: workerId },
      data: {
        heartbeatAt: new Date(),
        ...(progress ? { progress: progress.done, total: progress.total } : {}),
      },
    });
  }

  async finish(
    jobId: string,
    status: Exclude<JobStatus, "queued" | "running">,
    error?: string,
  ): Promise<void> {
    await this.db.job.update({
      where: { id: jobId },
      data: { status, error: error ?? null, lockedBy: null },
    });
  }

  async complete(jobId: string, result: unknown): Promise<void> {
    await this.db.job.update({
      where: { id: jobId },
      data: { status: "completed", error: null, lockedBy: null, result: result as object },
    });
  }

  async requestCancel(jobId: string): Promise<void> {
    // A queued job is cancelled at once; a running one is cancelled by its worker between batches.
    await this.db.job.updateMany({ where: { id: jobId, status: "queued" }, data: { status: "cancelled" } });
    await this.db.job.updateMany({
      where: { id: jobId, status: "running" },
      data: { error: CANCEL_REQUESTED },
    });
  }

  async isCancelRequested(jobId: string): Promise<boolean> {
    const job = await this.db.job.findUnique({ where: { id: jobId }, select: { status: true, error: true } });
    return job === null || job.status === "cancelled" || job.error === CANCEL_REQUESTED;
  }

  async requeue(jobId: string): Promise<void> {
    await this.db.job.update({
      where: { id: jobId },
      data: { status: "queued", error: null, lockedBy: null, heartbeatAt: null },
    });
  }
}

const CANCEL_REQUESTED = "cancel requested";
