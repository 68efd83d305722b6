import type { ClaimedJob, JobQueue } from "./job-queue";

// A worker proves it is alive this often (and looks for a cancel request); JOB_STALE_AFTER_MS is far longer.
const HEARTBEAT_MS = 2_000;
// Progress is written at most this often: enough for a live bar, few writes for SQLite.
const PROGRESS_WRITE_MS = 500;
const PROGRESS_WRITE_STEP = 0.1;
// Job progress is stored as integers; fractions are kept at this resolution (total = PROGRESS_UNITS).
const PROGRESS_UNITS = 1000;

export interface TrackedJob {
  /** Records the job's progress in [0, 1] (throttled). */
  reportProgress(fraction: number): void;
  /** Aborted when someone asks to cancel the job. */
  signal: AbortSignal;
}

/**
 * Runs a job's work with heartbeats, progress and cancellation, and records how it ended: completed with the
 * work's result (JSON), cancelled, or failed with the error's message. Used by the analysis jobs, whose work is
 * one computation rather than a run of batches.
 */
export async function runTrackedJob(
  deps: { queue: JobQueue; workerId: string },
  job: ClaimedJob,
  work: (tracked: TrackedJob) => Promise<unknown>,
): Promise<"completed" | "cancelled" | "failed"> {
  const controller = new AbortController();
  let fraction = 0;
  let lastWrite = 0;
  let lastWritten = 0;
  const beat = (): Promise<void> =>
    deps.queue.heartbeat(job.id, deps.workerId, {
      done: Math.round(fraction * PROGRESS_UNITS),
      total: PROGRESS_UNITS,
    });
  const timer = setInterval(() => {
    void beat().catch(() => undefined);
    void deps.queue
      .isCancelRequested(job.id)
      .then((isCancelled) => {
        if (isCancelled) controller.abort();
      })
      .catch(() => undefined);
  }, HEARTBEAT_MS);
  try {
    await beat();
    // A job cancelled between its claim and now does no work at all.
    if (await deps.queue.isCancelRequested(job.id)) controller.abort();
    if (controller.signal.aborted) {
      await deps.queue.finish(job.id, "cancelled");
      return "cancelled";
    }
    const result = await work({
      signal: controller.signal,
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
    if (controller.signal.aborted) {
      await deps.queue.finish(job.id, "cancelled");
      return "cancelled";
    }
    fraction = 1;
    await beat();
    await deps.queue.complete(job.id, result);
    return "completed";
  } catch (error) {
    if (controller.signal.aborted) {
      await deps.queue.finish(job.id, "cancelled");
      return "cancelled";
    }
    await deps.queue.finish(job.id, "failed", error instanceof Error ? error.message : String(error));
    return "failed";
  } finally {
    clearInterval(timer);
  }
}
