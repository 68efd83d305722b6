import { inferenceTextFeatures, type TextFeatureProvider } from "~/server/services/analysis/text-features";
import type { InferenceClient } from "~/server/services/inference-client";
import type { Db } from "~/server/store/db";
import type { FeatureStore } from "~/server/store/feature-store";
import { processAlignmentJob } from "./alignment-job";
import { encodeRun } from "./encode-run";
import type { ClaimedJob, JobKind, JobQueue } from "./job-queue";
import { processProjectionJob } from "./projection-job";

// A worker proves it is alive this often; a job silent for JOB_STALE_AFTER_MS (env) is taken over.
const HEARTBEAT_MS = 2_000;

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
}

/** Every kind of job the worker runs. */
export const WORKER_JOB_KINDS: readonly JobKind[] = ["encode-run", "projection", "alignment"];

/** Runs one claimed job to its end by its kind, heartbeating meanwhile; failures are recorded on the job. */
export async function processJob(
  deps: WorkerDeps,
  job: ClaimedJob,
  onProgress?: (p: { done: number; failed: number; total: number }) => void,
): Promise<void> {
  switch (job.kind) {
    case "encode-run":
      return processEncodeJob(deps, job, onProgress);
    case "projection":
      return processProjectionJob(deps, job);
    case "alignment":
      return processAlignmentJob(
        { ...deps, textFeatures: deps.textFeatures ?? inferenceTextFeatures(deps.inference) },
        job,
      );
  }
}

/** An `encode-run` job; a failure is recorded on the run too. */
async function processEncodeJob(
  deps: WorkerDeps,
  job: ClaimedJob,
  onProgress?: (p: { done: number; failed: number; total: number }) => void,
): Promise<void> {
  const { runId } = job.payload as { runId: string };
  const beat = setInterval(() => {
    void deps.queue.heartbeat(job.id, deps.workerId).catch(() => undefined);
  }, HEARTBEAT_MS);
  try {
    const outcome = await encodeRun({
      db: deps.db,
      dataDir: deps.dataDir,
      inference: deps.inference,
      features: deps.features,
      runId,
      isCancelled: () => deps.queue.isCancelRequested(job.id),
      onProgress: async (progress) => {
        await deps.queue.heartbeat(job.id, deps.workerId, {
          done: progress.done + progress.failed,
          total: progress.total,
        });
        onProgress?.(progress);
      },
    });
    await deps.queue.finish(job.id, outcome);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await deps.queue.finish(job.id, "failed", message);
    await deps.db.run.update({ where: { id: runId }, data: { status: "failed", error: message } });
  } finally {
    clearInterval(beat);
  }
}

/** The background worker loop: claim, process, repeat; polls when the queue is empty, until `signal` aborts. */
export async function runWorker(
  deps: WorkerDeps,
  options: { pollMs: number; signal: AbortSignal },
): Promise<void> {
  while (!options.signal.aborted) {
    const job = await deps.queue.claim({
      workerId: deps.workerId,
      kinds: WORKER_JOB_KINDS,
      staleAfterMs: deps.staleAfterMs,
    });
    if (job === null) {
      await new Promise((resolve) => setTimeout(resolve, options.pollMs));
      continue;
    }
    await processJob(deps, job);
  }
}
