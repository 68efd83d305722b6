import { type JobKind, type JobPayload, parseJobPayload } from "./job-kinds";
import type { ClaimedJob, JobQueue } from "./job-queue";
import type { JobOutcome } from "./job-status";

// A worker proves it is alive this often (and looks for a cancel request); JOB_STALE_AFTER_MS is far longer.
const HEARTBEAT_MS = 2_000;
// Progress is written at most this often: enough for a live bar, few writes for SQLite.
const PROGRESS_WRITE_MS = 500;
const PROGRESS_WRITE_STEP = 0.1;
// Job progress is stored as integers; fractions are kept at this resolution (total = PROGRESS_UNITS).
const PROGRESS_UNITS = 1000;

/** What a handler gets: its parsed payload, progress, and cancellation. */
export interface JobContext<K extends JobKind> {
  payload: JobPayload<K>;
  /** Records the job's progress in [0, 1] (throttled). */
  reportProgress(fraction: number): void;
  /** Aborted when someone asks to cancel the job (seen within HEARTBEAT_MS). */
  signal: AbortSignal;
  /** Asks the queue now whether the job is to stop (aborting `signal` if so): for checks between batches. */
  isCancelled(): Promise<boolean>;
}

/** The work of one kind of job, and what else must change when a job of that kind ends. */
export interface JobHandler<K extends JobKind> {
  /** Does the work; the value is stored as the job's result. Returning after a cancel ends the job cancelled. */
  run(context: JobContext<K>): Promise<unknown>;
  /** Called once the job's own state is written (not when the payload was malformed). */
  settled?(outcome: JobOutcome, payload: JobPayload<K>, error: string | null): Promise<void>;
}

/**
 * The one lifecycle of every job: parse the payload with its kind's schema, heartbeat while the work runs, record
 * progress, watch for a cancel request, and record how it ended: completed with the work's result, cancelled, or
 * failed with the error's message.
 */
export async function runJobLifecycle<K extends JobKind>(
  deps: { queue: JobQueue; workerId: string },
  job: ClaimedJob,
  kind: K,
  handler: JobHandler<K>,
): Promise<JobOutcome> {
  const { queue } = deps;
  const controller = new AbortController();
  let fraction = 0;
  let lastWrite = 0;
  let lastWritten = 0;
  let payload: JobPayload<K> | undefined;
  const beat = (): Promise<void> =>
    queue.heartbeat(job.id, deps.workerId, {
      done: Math.round(fraction * PROGRESS_UNITS),
      total: PROGRESS_UNITS,
    });
  const isCancelled = async (): Promise<boolean> => {
    if (!controller.signal.aborted && (await queue.isCancelRequested(job.id))) controller.abort();
    return controller.signal.aborted;
  };
  const timer = setInterval(() => {
    void beat().catch(() => undefined);
    void isCancelled().catch(() => undefined);
  }, HEARTBEAT_MS);
  const settle = async (outcome: JobOutcome, error: string | null, result?: unknown): Promise<JobOutcome> => {
    if (outcome === "completed") await queue.complete(job.id, result);
    else if (outcome === "cancelled") await queue.markCancelled(job.id);
    else await queue.fail(job.id, error ?? "failed");
    if (payload !== undefined) await handler.settled?.(outcome, payload, error);
    return outcome;
  };
  let ended: { outcome: JobOutcome; error: string | null; result?: unknown };
  try {
    ended = await work();
  } catch (error) {
    ended = controller.signal.aborted
      ? { outcome: "cancelled", error: null }
      : { outcome: "failed", error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearInterval(timer);
  }
  return settle(ended.outcome, ended.error, ended.result);

  async function work(): Promise<{ outcome: JobOutcome; error: null; result?: unknown }> {
    payload = parseJobPayload(kind, job.payload);
    await beat();
    // A job cancelled between its claim and now does no work at all.
    if (await isCancelled()) return { outcome: "cancelled", error: null };
    const result = await handler.run({
      payload,
      signal: controller.signal,
      isCancelled,
      reportProgress: (value) => {
        fraction = Math.min(1, Math.max(fraction, value));
        // Written at most every PROGRESS_WRITE_MS, and at every PROGRESS_WRITE_STEP of progress however fast the
        // work is, so even a quick job leaves intermediate progress for a watching page.
        const isDue =
          Date.now() - lastWrite >= PROGRESS_WRITE_MS || fraction - lastWritten >= PROGRESS_WRITE_STEP;
        if (!isDue) return;
        lastWrite = Date.now();
        lastWritten = fraction;
        void beat().catch(() => undefined);
      },
    });
    if (controller.signal.aborted) return { outcome: "cancelled", error: null };
    fraction = 1;
    await beat();
    return { outcome: "completed", error: null, result };
  }
}
