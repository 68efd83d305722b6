import { randomUUID } from "node:crypto";
import os from "node:os";
import { env } from "~/server/env";
import { createInferenceClient } from "~/server/services/inference-client";
import { getDb } from "~/server/store/db";
import { LocalFeatureStore } from "~/server/store/feature-store";
import { EmbeddedJobQueue } from "./job-queue";
import { runWorker } from "./run-worker";

// An idle worker looks for new runs this often.
const POLL_MS = 1_000;
// Encoding one batch can take a while on a CPU; a generous timeout keeps slow batches from failing.
const ENCODE_TIMEOUT_MS = 10 * 60_000;

/**
 * The job worker process: encodes queued runs through the inference server, computes projections and alignment
 * analyses, and resumes jobs whose worker died.
 */
async function main(): Promise<void> {
  const db = getDb();
  const controller = new AbortController();
  process.once("SIGTERM", () => controller.abort());
  process.once("SIGINT", () => controller.abort());
  const workerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  console.log(`[worker] ${workerId} polling for jobs`);
  await runWorker(
    {
      db,
      dataDir: env.dataDir,
      inference: createInferenceClient({ url: env.INFERENCE_URL, timeoutMs: ENCODE_TIMEOUT_MS }),
      features: new LocalFeatureStore(env.dataDir),
      queue: new EmbeddedJobQueue(db),
      workerId,
      staleAfterMs: env.JOB_STALE_AFTER_MS,
    },
    { pollMs: POLL_MS, signal: controller.signal },
  );
  await db.$disconnect();
}

void main();
