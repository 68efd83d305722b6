import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobQueue } from "~/server/jobs/job-queue";
import { importFolder } from "~/server/services/datasets/import-folder";
import { createInferenceClient } from "~/server/services/inference-client";
import { cancelRun, resumeRun } from "~/server/services/runs/control-run";
import { createRun } from "~/server/services/runs/create-run";
import { getRunProgress } from "~/server/services/runs/get-run";
import { ensureDataDir } from "~/server/store/data-dir";
import { createDb, type Db } from "~/server/store/db";
import { MINI_MODEL_DIR } from "../helpers/mini-model-paths";
import { getFreePort, type RunningProcess, startBin, waitUntil } from "../helpers/processes";
import { writeSceneImages } from "../helpers/scene-images";
import { createMigratedDatabase, type TestDatabase } from "../helpers/test-database";
import { freshQueuePrefix, openTestQueue, testQueueEnv } from "../helpers/test-queue";

let work: string;
let db: Db;
let database: TestDatabase;
let queue: JobQueue;
const prefix = freshQueuePrefix();
let inference: RunningProcess;
let worker: RunningProcess;
let client: ReturnType<typeof createInferenceClient>;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-worker-"));
  const dataDir = path.join(work, "data");
  await ensureDataDir(dataDir);
  database = await createMigratedDatabase(dataDir);
  db = createDb(database.url);
  queue = openTestQueue(db, { prefix });
  const port = await getFreePort();
  const env = {
    DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    ...testQueueEnv(prefix),
    INFERENCE_PORT: String(port),
    MODEL_DIR: MINI_MODEL_DIR,
    ORT_INTRA_OP_THREADS: "1",
    JOB_STALE_AFTER_MS: "1000",
  };
  inference = startBin("tsx", ["server/inference/main.ts"], env);
  worker = startBin("tsx", ["server/jobs/worker-main.ts"], env);
  client = createInferenceClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 5_000 });
  await waitUntil(
    async () => (await client.health.query()).model.state === "ready",
    60_000,
    `inference (${inference.output()})`,
  );
});

afterAll(async () => {
  await worker?.stop();
  await inference?.stop();
  await queue?.close();
  await db?.$disconnect();
  await database?.drop();
  await fs.rm(work, { recursive: true, force: true });
});

describe("runs in the background worker", () => {
  it("are cancelled after the batch in flight and resume where they stopped", {
    timeout: 240_000,
  }, async () => {
    const folder = path.join(work, "images");
    await writeSceneImages(folder, 10);
    const imported = await importFolder({
      db,
      dataDir: path.join(work, "data"),
      roots: [folder],
      folder,
      name: "ten scenes",
    });
    const { id: runId } = await createRun({
      db,
      queue,
      inference: client,
      datasetId: imported.dataset.id,
      batchSize: 2,
      questions: [],
    });

    await waitUntil(
      async () => (await getRunProgress({ db, runId })).done >= 2,
      120_000,
      `first batch (${worker.output()})`,
    );
    await cancelRun({ db, queue, runId });
    await waitUntil(
      async () => (await getRunProgress({ db, runId })).status === "cancelled",
      60_000,
      "cancellation",
    );
    const cancelled = await getRunProgress({ db, runId });
    expect(cancelled.done).toBeLessThan(10);
    // Nothing more is encoded while the run is cancelled.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect((await getRunProgress({ db, runId })).done).toBe(cancelled.done);

    await resumeRun({ db, queue, runId });
    await waitUntil(
      async () => (await getRunProgress({ db, runId })).status === "completed",
      180_000,
      "completion",
    );
    const finished = await getRunProgress({ db, runId });
    expect([finished.done, finished.failed, finished.total]).toEqual([10, 0, 10]);
    expect(await db.runImage.count({ where: { runId } })).toBe(10);
    await expect(resumeRun({ db, queue, runId })).rejects.toThrow(/only cancelled or failed runs resume/);
  });
});
