/**
 * A comparison encoder end to end: a shrunk random CLIP exported by tools/export, served by the inference server,
 * a run of a dataset encoded by the background worker, its `encoder:clip` grids in the feature store equal to
 * the engine's own encoding of the same files, and a question for it refused with a clear error.
 */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeImages, loadModelFolder, preprocessImage } from "~/lib/engine";
import { LocalFeatureStore } from "~/server/features/feature-store";
import type { JobQueue } from "~/server/jobs/job-queue";
import { importFolder } from "~/server/services/datasets/import-folder";
import { createInferenceClient } from "~/server/services/inference-client";
import { createRun } from "~/server/services/runs/create-run";
import { getRunProgress } from "~/server/services/runs/get-run";
import { ensureDataDir } from "~/server/store/data-dir";
import { createDb, type Db } from "~/server/store/db";
import { maxAbsDiff } from "../helpers/engine-fixtures";
import { getFreePort, type RunningProcess, startBin, waitUntil } from "../helpers/processes";
import { runExportPython } from "../helpers/real-checkpoints";
import { writeSceneImages } from "../helpers/scene-images";
import { createMigratedDatabase, type TestDatabase } from "../helpers/test-database";
import { freshQueuePrefix, openTestQueue, testQueueEnv } from "../helpers/test-queue";

const SESSION = {
  executionProvider: "cpu" as const,
  intraOpThreads: 1,
  interOpThreads: 1,
  allowSpinning: false,
};
const IMAGES = 5;

let work: string;
let dataDir: string;
let modelDir: string;
let db: Db;
let database: TestDatabase;
let queue: JobQueue;
const prefix = freshQueuePrefix();
let inference: RunningProcess;
let worker: RunningProcess;
let client: ReturnType<typeof createInferenceClient>;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-encoder-run-"));
  const checkpoints = path.join(work, "checkpoints");
  await runExportPython("fvl_export.testing.encoder_fixtures", ["--out", checkpoints, "--family", "clip"]);
  modelDir = path.join(work, "clip-encoder");
  await runExportPython("fvl_export", [
    "export",
    "--from",
    path.join(checkpoints, "clip"),
    "--out",
    modelDir,
  ]);
  dataDir = path.join(work, "data");
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
    MODEL_DIR: modelDir,
    ORT_INTRA_OP_THREADS: "1",
    JOB_STALE_AFTER_MS: "1000",
  };
  inference = startBin("tsx", ["server/inference/main.ts"], env);
  worker = startBin("tsx", ["server/jobs/worker-main.ts"], env);
  client = createInferenceClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 10_000 });
  await waitUntil(
    async () => (await client.health.query()).model.state === "ready",
    90_000,
    `inference (${inference.output()})`,
  );
}, 240_000);

afterAll(async () => {
  await worker?.stop();
  await inference?.stop();
  await queue?.close();
  await db?.$disconnect();
  await database?.drop();
  await fs.rm(work, { recursive: true, force: true });
});

describe("a run of a comparison encoder", () => {
  it("is encoded by the worker into encoder:clip grids equal to the engine's", {
    timeout: 240_000,
  }, async () => {
    const health = await client.health.query();
    expect(health.model).toMatchObject({
      state: "ready",
      kind: "encoder",
      info: { sourceFormat: "encoder:clip" },
    });
    const folder = path.join(work, "images");
    const names = await writeSceneImages(folder, IMAGES);
    const imported = await importFolder({ db, dataDir, roots: [folder], folder, name: "scenes" });
    const { id: runId } = await createRun({
      db,
      queue,
      inference: client,
      datasetId: imported.dataset.id,
      batchSize: 2,
      dtype: "fp32",
    });
    await waitUntil(
      async () => (await getRunProgress({ db, runId })).status === "completed",
      180_000,
      `completion (${worker.output()})`,
    );
    const progress = await getRunProgress({ db, runId });
    expect([progress.done, progress.failed, progress.total]).toEqual([IMAGES, 0, IMAGES]);
    const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run.sources).toEqual(["encoder:clip"]);
    expect(run.questions).toEqual([]);

    // The stored grids are the engine's encoding of the same files (fp32 run: exact up to ORT's batching).
    const model = await loadModelFolder(modelDir, { session: SESSION });
    const store = new LocalFeatureStore(dataDir);
    try {
      const rows = await db.runImage.findMany({ where: { runId }, include: { image: true } });
      expect(rows).toHaveLength(IMAGES);
      const files = await Promise.all(names.map((name) => fs.readFile(path.join(folder, name))));
      const bySha = new Map(files.map((bytes) => [createHash("sha256").update(bytes).digest("hex"), bytes]));
      for (const row of rows) {
        const bytes = bySha.get(row.image.sha256);
        if (bytes === undefined) throw new Error(`run image ${row.image.sha256} is none of the files`);
        const { pixelValues } = await preprocessImage(bytes, model.preprocess, { maxInputPixels: 1e8 });
        const [expected] = await encodeImages(model, [pixelValues], {
          prompts: [],
          includeStages: false,
          includeFused: false,
          includeAttention: false,
        });
        const source = expected?.sources["encoder:clip"];
        const stored = await store.readPatchGrid(row.featureFile ?? "", "encoder:clip", row.image.sha256);
        expect(stored.grid).toEqual([14, 14]);
        expect(stored.tokens.dims).toEqual([196, 64]);
        expect(maxAbsDiff(stored.tokens.data, source?.tensor.data.subarray(64) ?? [])).toBeLessThan(1e-4);
      }
      const pooled = await db.pooledFeature.count({ where: { runId, source: "encoder:clip" } });
      expect(pooled).toBe(IMAGES);
      expect(await db.answer.count({ where: { runImage: { runId } } })).toBe(0);
    } finally {
      await model.release();
    }
  });

  it("refuses a live question: the encoder has no language model", async () => {
    const bytes = await fs.readFile(path.join(work, "images", "scene-000.png"));
    await expect(
      client.answer.mutate({
        image: { name: "scene", bytes: new Uint8Array(bytes) },
        question: "What is it?",
      }),
    ).rejects.toThrow(/comparison encoder \(encoder:clip\).*no language model/);
  });
});
