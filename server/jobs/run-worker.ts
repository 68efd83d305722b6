import type { FeatureStore } from "~/server/features/feature-store";
import { inferenceTextFeatures, type TextFeatureProvider } from "~/server/services/analysis/text-features";
import type { InferenceClient } from "~/server/services/inference-client";
import type { Db } from "~/server/store/db";
import type { RunCounts } from "./encode-run";
import { jobHandlers } from "./job-handlers";
import { JOB_KINDS, type JobKind } from "./job-kinds";
import { runJobLifecycle } from "./job-lifecycle";
import type { ClaimedJob, JobQueue } from "./job-queue";
import type { JobOutcome } from "./job-status";
import type { WorkerPresence } from "./worker-presence";

export interface WorkerDeps {
  db: Db;
  dataDir: string;
  inference: InferenceClient;
  features: FeatureStore;
  queue: JobQueue;
  workerId: string;
  staleAfterMs: number;
  /** Caption features for alignment jobs; the inference server's language model when absent. */
  textFeatures?: TextFeatureProvider;
  /** Per-batch counts of encode runs (the CLI's progress bar). */
  onRunProgress?: (counts: RunCounts) => void;
  /** Encode runs fan out as batch jobs that any worker takes (QUEUE=bullmq); otherwise one job encodes a run. */
  fanOutRuns?: boolean;
  /** The worker's heartbeat row for the workers page. */
  presence?: WorkerPresence;
}

/** Every kind of job the worker runs. */
export const WORKER_JOB_KINDS: readonly JobKind[] = JOB_KINDS;

/** Runs one claimed job to its end through the one job lifecycle; failures are recorded on the job. */
export function processJob(deps: WorkerDeps, job: ClaimedJob): Promise<JobOutcome> {
  const handlers = jobHandlers({
    ...deps,
    onImagesFinished: (count) => deps.presence?.imagesFinished(count),
    textFeatures: deps.textFeatures ?? inferenceTextFeatures(deps.inference),
    ...(deps.textFeatures
      ? {}
      : { textFeaturesOf: (model: string) => inferenceTextFeatures(deps.inference, model) }),
    fanOut: deps.fanOutRuns
      ? { ...deps, runBatch: (batch: ClaimedJob) => processJob(deps, batch) }
      : undefined,
  });
  return runKind(deps, job, job.kind, handlers);
}

function runKind<K extends JobKind>(
  deps: WorkerDeps,
  job: ClaimedJob,
  kind: K,
  handlers: ReturnType<typeof jobHandlers>,
): Promise<JobOutcome> {
  return runJobLifecycle(deps, job, kind, handlers[kind]);
}

/**
 * The background worker loop: claim, process, repeat; polls when the queue is empty, until `signal` aborts. A lost
 * database or Redis connection (a server restart) fails only the current step: the loop waits and goes on, and a job
 * it could not finish is taken over once its heartbeat is stale.
 */
export async function runWorker(
  deps: WorkerDeps,
  options: { pollMs: number; signal: AbortSignal; onError?: (error: unknown) => void },
): Promise<void> {
  while (!options.signal.aborted) {
    try {
      const job = await deps.queue.claim({
        workerId: deps.workerId,
        kinds: WORKER_JOB_KINDS,
        staleAfterMs: deps.staleAfterMs,
      });
      if (job !== null) {
        deps.presence?.jobStarted(job);
        try {
          await processJob(deps, job);
        } finally {
          deps.presence?.jobEnded();
        }
        continue;
      }
    } catch (error) {
      options.onError?.(error);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs));
  }
}
