import { randomUUID } from "node:crypto";
import os from "node:os";
import { getAppDeps } from "~/server/composition-root";
import { env } from "~/server/env";
import { runWorker } from "./run-worker";

// An idle worker looks for new runs this often.
const POLL_MS = 1_000;

/**
 * The job worker process: encodes queued runs through the inference server, computes projections and alignment
 * analyses, and resumes jobs whose worker died.
 */
async function main(): Promise<void> {
  const deps = getAppDeps();
  const controller = new AbortController();
  process.once("SIGTERM", () => controller.abort());
  process.once("SIGINT", () => controller.abort());
  const workerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  console.log(`[worker] ${workerId} polling for jobs`);
  await runWorker(
    {
      db: deps.db,
      dataDir: deps.dataDir,
      inference: deps.inference.batchClient,
      features: deps.features,
      queue: deps.queue,
      workerId,
      staleAfterMs: deps.limits.jobStaleAfterMs,
      fanOutRuns: env.QUEUE === "bullmq",
    },
    {
      pollMs: POLL_MS,
      signal: controller.signal,
      onError: (error) => console.error(`[worker] ${error instanceof Error ? error.message : String(error)}`),
    },
  );
  await deps.queue.close();
  await deps.db.$disconnect();
}

void main();
