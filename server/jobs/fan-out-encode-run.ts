import { markRunStarted } from "~/server/services/runs/run-status";
import { type EncodeRunOptions, recordFailure, refreshCounts, runTodo } from "./encode-run";
import type { ClaimedJob, JobQueue } from "./job-queue";
import { isActiveStatus, type JobOutcome } from "./job-status";

// How often the coordinator looks at its batches when this worker has no batch to run itself.
const POLL_MS = 500;

export interface FanOutOptions extends EncodeRunOptions {
  queue: JobQueue;
  workerId: string;
  staleAfterMs: number;
  /** Runs a claimed encode-batch job through the job lifecycle in this worker. */
  runBatch: (job: ClaimedJob) => Promise<JobOutcome>;
}

/**
 * An encode-run job in scale-out: the images not stored yet are posted as encode-batch jobs (run.batchSize each) that
 * any worker takes, and this job coordinates them until each has ended. It runs batches itself while it waits, so a
 * run completes with one worker as with many. A batch that fails (its worker crashed or timed out on it
 * MAX_JOB_ATTEMPTS times, or it threw) is split into one job per image; an image whose own job fails is parked: the
 * failed single-image job keeps the reason and the image is recorded as failed with it, and the run completes
 * without it. A worker killed mid-batch loses that batch, which another worker redoes (per-image writes replace,
 * never duplicate). Progress is the run's stored counts, written after every batch by whichever worker ran it.
 */
export async function fanOutEncodeRun(options: FanOutOptions): Promise<void> {
  const { db, queue, runId } = options;
  const { run, todo, total } = await runTodo(db, runId);
  await markRunStarted({ db, runId, total });
  // Batch job id → its images.
  const pending = new Map<string, string[]>();
  const post = async (imageIds: string[]) => {
    // The key makes a resumed coordinator (its worker died) find the batches still queued or running.
    const id = await queue.enqueue(
      "encode-batch",
      { runId, imageIds },
      { key: `${runId}:${imageIds.join(",")}` },
    );
    pending.set(id, imageIds);
  };
  for (let start = 0; start < todo.length; start += run.batchSize)
    await post(todo.slice(start, start + run.batchSize).map((item) => item.imageId));

  while (pending.size > 0) {
    if (await options.isCancelled()) {
      for (const id of pending.keys()) await queue.requestCancel(id);
      return;
    }
    const batch = await queue.claim({
      workerId: options.workerId,
      kinds: ["encode-batch"],
      staleAfterMs: options.staleAfterMs,
    });
    if (batch !== null) await options.runBatch(batch);
    else await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    for (const [id, imageIds] of [...pending]) {
      const job = await queue.get(id);
      if (job !== null && isActiveStatus(job.status)) continue;
      pending.delete(id);
      if (job?.status !== "failed") continue;
      const [only, ...others] = imageIds;
      if (only !== undefined && others.length === 0)
        await recordFailure(
          db,
          runId,
          only,
          `dead-lettered after its encode job failed: ${job.error ?? "failed"}`,
        );
      else for (const imageId of imageIds) await post([imageId]);
    }
    options.onProgress(await refreshCounts(db, runId));
  }
}
