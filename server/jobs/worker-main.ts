import { randomUUID } from "node:crypto";
import os from "node:os";
import { getAppDeps } from "~/server/composition-root";
import { env } from "~/server/env";
import { runWorker } from "./run-worker";
import { WorkerPresence } from "./worker-presence";

// An idle worker looks for new runs this often.
const POLL_MS = 1_000;

/**
 * The job worker process (`npm run worker`): takes jobs from the configured queue (QUEUE), encodes runs through its
 * inference server (INFERENCE_URL), computes projections and alignment analyses, resumes jobs whose worker died, and
 * reports itself for the workers page.
 */
async function main(): Promise<void> {
  const deps = getAppDeps();
  const controller = new AbortController();
  process.once("SIGTERM", () => controller.abort());
  process.once("SIGINT", () => controller.abort());
  const workerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  console.log(`[worker] ${workerId} taking jobs from the ${env.QUEUE} queue`);
  const presence = new WorkerPresence({
    db: deps.db,
    workerId,
    inference: deps.inference.client,
    inferenceUrl: deps.inference.url,
  });
  presence.start();
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
      presence,
    },
    {
      pollMs: POLL_MS,
      signal: controller.signal,
      onError: (error) => console.error(`[worker] ${error instanceof Error ? error.message : String(error)}`),
    },
  );
  await presence.stop().catch(() => undefined);
  await deps.queue.close();
  await deps.db.$disconnect();
}

void main();
