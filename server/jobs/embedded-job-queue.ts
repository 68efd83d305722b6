import { AppError } from "~/server/app-error";
import type { Db } from "~/server/store/db";
import type { Job } from "~/server/store/generated/prisma/client";
import { JOB_KINDS, type JobKind, type JobPayload, parseJobPayload } from "./job-kinds";
import type { ClaimedJob, ClaimOptions, EnqueueOptions, JobQueue, JobRecord } from "./job-queue";
import { ACTIVE_JOB_STATUSES, jobStatusSchema } from "./job-status";

// An encode batch is claimed at most this many times: when the worker of its last claim died too, it fails, and the
// run's coordinator splits it to find the poison image (fan-out-encode-run.ts). Other kinds resume however often their
// worker dies (an embedded run outlives any number of restarts of npm start).
const MAX_BATCH_ATTEMPTS = 3;
const POISON_GUARDED_KINDS: readonly JobKind[] = ["encode-batch"];

/** The embedded queue: the SQLite Job table, the only code that reads or writes it. */
export class EmbeddedJobQueue implements JobQueue {
  constructor(private readonly db: Db) {}

  async enqueue<K extends JobKind>(
    kind: K,
    payload: JobPayload<K>,
    options: EnqueueOptions = {},
  ): Promise<string> {
    const db = options.transaction ?? this.db;
    // Checked here as well as when claimed: a producer's bad payload fails its request, not a worker later.
    const checked = parseJobPayload(kind, payload);
    if (options.key !== undefined) {
      const same = await db.job.findFirst({
        where: {
          kind,
          requestKey: options.key,
          status: { in: [...ACTIVE_JOB_STATUSES] },
          cancelRequested: false,
        },
        orderBy: { createdAt: "asc" },
        select: { id: true },
      });
      if (same !== null) return same.id;
    }
    const job = await db.job.create({
      data: { kind, payload: checked, requestKey: options.key ?? null, runId: checked.runId },
    });
    return job.id;
  }

  async get(jobId: string): Promise<JobRecord | null> {
    const job = await this.db.job.findUnique({ where: { id: jobId } });
    return job === null ? null : toRecord(job);
  }

  async latestCompleted(kind: JobKind, runId: string): Promise<JobRecord | null> {
    const job = await this.db.job.findFirst({
      where: { kind, runId, status: "completed" },
      orderBy: { updatedAt: "desc" },
    });
    return job === null ? null : toRecord(job);
  }

  async claim(options: ClaimOptions): Promise<ClaimedJob | null> {
    const claimable = claimableWhere(options);
    const candidate = await this.db.job.findFirst({ where: claimable, orderBy: { createdAt: "asc" } });
    if (candidate === null) return null;
    const isPoisonGuarded = POISON_GUARDED_KINDS.includes(kindOf(candidate.kind));
    if (candidate.status === "running" && isPoisonGuarded && candidate.attempts >= MAX_BATCH_ATTEMPTS) {
      // Its workers died holding it this many times (a poison input that crashes or hangs them): it fails instead
      // of taking down the next worker too.
      await this.db.job.updateMany({
        where: { ...claimable, id: candidate.id },
        data: {
          status: "failed",
          lockedBy: null,
          error: `its worker stopped ${candidate.attempts} times while running it (crashed or timed out)`,
        },
      });
      return this.claim(options);
    }
    // The conditional update is the lock: of two workers racing for one job, only one changes a row.
    const { count } = await this.db.job.updateMany({
      where: { ...claimable, id: candidate.id },
      data: {
        status: "running",
        lockedBy: options.workerId,
        heartbeatAt: new Date(),
        attempts: { increment: 1 },
      },
    });
    if (count !== 1) return null;
    return { id: candidate.id, kind: kindOf(candidate.kind), payload: candidate.payload };
  }

  /** Jobs a worker could claim now, oldest first (what the BullMQ queue's relay posts to Redis). */
  async listClaimable(options: {
    kinds: readonly JobKind[];
    staleAfterMs: number;
  }): Promise<{ id: string; kind: JobKind }[]> {
    const jobs = await this.db.job.findMany({
      where: claimableWhere(options),
      orderBy: { createdAt: "asc" },
      select: { id: true, kind: true },
    });
    return jobs.map((job) => ({ id: job.id, kind: kindOf(job.kind) }));
  }

  async close(): Promise<void> {
    // The database client is the composition root's to close.
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

  async complete(jobId: string, result?: unknown): Promise<void> {
    await this.finish(jobId, {
      status: "completed",
      error: null,
      ...(result === undefined ? {} : { result: result as object }),
    });
  }

  async fail(jobId: string, message: string): Promise<void> {
    await this.finish(jobId, { status: "failed", error: message });
  }

  async markCancelled(jobId: string): Promise<void> {
    await this.finish(jobId, { status: "cancelled", error: null });
  }

  async requestCancel(jobId: string): Promise<void> {
    // A queued job is cancelled at once; a running one is flagged and stopped by its worker at its next check.
    await this.db.job.updateMany({ where: { id: jobId, status: "queued" }, data: { status: "cancelled" } });
    await this.db.job.updateMany({
      where: { id: jobId, status: "running" },
      data: { cancelRequested: true },
    });
  }

  async isCancelRequested(jobId: string): Promise<boolean> {
    const job = await this.db.job.findUnique({
      where: { id: jobId },
      select: { status: true, cancelRequested: true },
    });
    return job === null || job.status === "cancelled" || job.cancelRequested;
  }

  async requeue(jobId: string): Promise<void> {
    await this.db.job.update({
      where: { id: jobId },
      data: {
        status: "queued",
        error: null,
        lockedBy: null,
        heartbeatAt: null,
        cancelRequested: false,
        attempts: 0,
      },
    });
  }

  async removeRunJobs(runId: string): Promise<number> {
    return this.db.$transaction(async (tx) => {
      const active = await tx.job.count({ where: { runId, status: { in: [...ACTIVE_JOB_STATUSES] } } });
      if (active > 0)
        throw new AppError("CONFLICT", `The run has ${active} queued or running job(s); cancel them first.`);
      return (await tx.job.deleteMany({ where: { runId } })).count;
    });
  }

  private async finish(
    jobId: string,
    data: { status: "completed" | "failed" | "cancelled"; error: string | null; result?: object },
  ): Promise<void> {
    await this.db.job.update({
      where: { id: jobId },
      data: { ...data, lockedBy: null, cancelRequested: false },
    });
  }
}

/** Queued, or running with a heartbeat older than `staleAfterMs` (its worker died). */
function claimableWhere(options: Omit<ClaimOptions, "workerId">) {
  const staleBefore = new Date(Date.now() - options.staleAfterMs);
  return {
    kind: { in: [...options.kinds] },
    ...(options.jobId ? { id: options.jobId } : {}),
    OR: [{ status: "queued" }, { status: "running", heartbeatAt: { lt: staleBefore } }],
  };
}

function kindOf(kind: string): JobKind {
  const known = JOB_KINDS.find((k) => k === kind);
  if (known === undefined) throw new Error(`unknown job kind "${kind}" in the Job table`);
  return known;
}

function toRecord(job: Job): JobRecord {
  return {
    id: job.id,
    kind: kindOf(job.kind),
    status: jobStatusSchema.parse(job.status),
    progress: { done: job.progress, total: job.total },
    error: job.error,
    isCancelRequested: job.cancelRequested,
    result: job.result,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
  };
}
