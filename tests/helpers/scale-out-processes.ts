import type { JobQueue } from "~/server/jobs/job-queue";
import { createInferenceClient } from "~/server/services/inference-client";
import { createRun } from "~/server/services/runs/create-run";
import type { Db } from "~/server/store/db";
import { MINI_MODEL_DIR } from "./mini-model-paths";
import { getFreePort, type RunningProcess, startBin, waitUntil } from "./processes";

/** An inference server of the bundled mini model on a free port with one ONNX Runtime thread, once it is ready. */
export async function startMiniInferenceServer(): Promise<{ server: RunningProcess; url: string }> {
  const port = await getFreePort();
  const server = startBin("tsx", ["server/inference/main.ts"], {
    INFERENCE_PORT: String(port),
    MODEL_DIR: MINI_MODEL_DIR,
    ORT_INTRA_OP_THREADS: "1",
  });
  const url = `http://127.0.0.1:${port}`;
  const client = createInferenceClient({ url, timeoutMs: 5_000 });
  await waitUntil(
    async () => (await client.health.query().catch(() => null))?.model.state === "ready",
    180_000,
    `an inference server (${server.output()})`,
  );
  return { server, url };
}

/** `npm run worker` on the BullMQ queue of a PostgreSQL database, sending its images to `inferenceUrl`. */
export function startQueueWorker(options: {
  dataDir: string;
  featuresDir?: string;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  staleAfterMs: number;
  inferenceUrl: string;
}): RunningProcess {
  return startBin("tsx", ["server/jobs/worker-main.ts"], {
    DATA_DIR: options.dataDir,
    ...(options.featuresDir === undefined ? {} : { FEATURES_DIR: options.featuresDir }),
    DATABASE_URL: options.databaseUrl,
    QUEUE: "bullmq",
    REDIS_URL: options.redisUrl,
    REDIS_PREFIX: options.prefix,
    JOB_STALE_AFTER_MS: String(options.staleAfterMs),
    INFERENCE_URL: options.inferenceUrl,
  });
}

/** Creates a run of a dataset (batches of 4 images, no language-model questions), asking `inferenceUrl` for the model. */
export async function createBatchedRun(options: {
  db: Db;
  queue: JobQueue;
  inferenceUrl: string;
  datasetId: string;
}): Promise<string> {
  const inference = createInferenceClient({ url: options.inferenceUrl, timeoutMs: 5_000 });
  const run = await createRun({ ...options, inference, batchSize: 4, questions: [] });
  return run.id;
}
