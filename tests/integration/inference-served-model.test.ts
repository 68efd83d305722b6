/**
 * The inference server names the model it serves (source format, weight dtype, breadth mode, pad-to-square) and
 * serves a folder's `_fp16` variant with MODEL_DTYPE=fp16; a run records the model it was made with. The folder is
 * a random-initialised Florence-2-base (shrunk) exported by `fvl model export --dtype fp32,fp16`.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import { importFolder } from "~/server/services/datasets/import-folder";
import type { createInferenceClient } from "~/server/services/inference-client";
import { createRun } from "~/server/services/runs/create-run";
import { getRun } from "~/server/services/runs/get-run";
import { getInferenceHealth } from "~/server/services/system/get-inference-health";
import { ensureDataDir } from "~/server/store/data-dir";
import { createDb, type Db } from "~/server/store/db";
import { applyMigrations } from "~/server/store/migrate";
import { maxAbsDiff } from "../helpers/engine-fixtures";
import { serveModel } from "../helpers/inference-server";
import { MINI_MODEL_DIR, PARITY_FIXTURES_DIR } from "../helpers/mini-model-paths";
import { ROOT } from "../helpers/processes";
import { fvlModelExport, runExportPython } from "../helpers/real-checkpoints";
import { writeSceneImages } from "../helpers/scene-images";

// fp16 weights against fp32 on the same pixels: relative to the largest value, as the parity test's fp16 check.
const FP16_RELATIVE_TOLERANCE = 0.02;
const IMAGE = path.join(PARITY_FIXTURES_DIR, "images", "test-0000.png");

let work: string;
let modelDir: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-served-model-"));
  const checkpoints = path.join(work, "checkpoints");
  await runExportPython("fvl_export.testing.fixtures", ["--out", checkpoints, "--size", "base"]);
  modelDir = path.join(work, "model");
  const stdout = await fvlModelExport([
    "--from",
    path.join(checkpoints, "native"),
    "--out",
    modelDir,
    "--dtype",
    "fp32,fp16",
  ]);
  expect(stdout).toMatch(/ok: the folder matches the model-directory contract/);
}, 600_000);

afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function encodeOnce(client: ReturnType<typeof createInferenceClient>) {
  const [result] = await client.encode.mutate({
    images: [{ name: "test-0000.png", bytes: new Uint8Array(await fs.readFile(IMAGE)) }],
    includeTaskAnswers: false,
  });
  if (result === undefined || !result.ok) throw new Error(`encode failed: ${JSON.stringify(result)}`);
  return result.features.sources;
}

function relativeDiff(ours: Float32Array | undefined, reference: Float32Array | undefined): number {
  if (ours === undefined || reference === undefined || ours.length !== reference.length) return Number.NaN;
  const scale = reference.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  return maxAbsDiff(ours, reference) / scale;
}

describe("the served model", () => {
  let fp32: Awaited<ReturnType<typeof encodeOnce>>;

  it("health names the export's source format, dtype, breadth mode and padding (fp32 by default)", async () => {
    const { server, url, client } = await serveModel(modelDir);
    try {
      const health = await client.health.query();
      expect(health.model).toMatchObject({
        state: "ready",
        kind: "florence-2",
        info: {
          name: "model",
          sourceFormat: "hf-native",
          dtype: "fp32",
          dtypes: ["fp32", "fp16"],
          breadthMode: "lens",
          padToSquare: false,
        },
      });
      // The dashboard's view of the same health keeps the description.
      expect(await getInferenceHealth({ client, url })).toMatchObject({
        status: "up",
        model: { state: "ready", info: { sourceFormat: "hf-native", dtype: "fp32" } },
      });
      fp32 = await encodeOnce(client);
      expect(fp32["depth:V"]?.tensor.dims).toEqual([577, 128]);
    } finally {
      await server.stop();
    }
  });

  it("MODEL_DTYPE=fp16 serves the _fp16 graphs: reported in health, features within fp16 tolerance of fp32", async () => {
    const { server, client } = await serveModel(modelDir, { MODEL_DTYPE: "fp16" });
    try {
      const health = await client.health.query();
      expect(health.model).toMatchObject({
        state: "ready",
        info: { dtype: "fp16", dtypes: ["fp32", "fp16"] },
      });
      const fp16 = await encodeOnce(client);
      const keys = Object.keys(fp32).sort();
      expect(Object.keys(fp16).sort()).toEqual(keys);
      expect(keys).toEqual(
        [
          "breadth:<DENSE_REGION_CAPTION>",
          "breadth:<DETAILED_CAPTION>",
          "breadth:<OCR>",
          "depth:V",
          "fused",
        ].sort(),
      );
      for (const key of keys) {
        const diff = relativeDiff(fp16[key]?.tensor.data, fp32[key]?.tensor.data);
        expect(diff, key).toBeLessThan(FP16_RELATIVE_TOLERANCE);
        // fp16 weights do change the numbers: the variant really is the one served.
        expect(diff, key).toBeGreaterThan(0);
      }

      const dataDir = path.join(work, "data");
      await ensureDataDir(dataDir);
      const dbUrl = `file:${path.join(dataDir, "lens.db")}`;
      await applyMigrations({ databaseUrl: dbUrl, cwd: ROOT });
      const db: Db = createDb(dbUrl);
      try {
        const folder = path.join(work, "images");
        await writeSceneImages(folder, 1);
        const imported = await importFolder({ db, dataDir, roots: [folder], folder, name: "one scene" });
        const { id } = await createRun({
          db,
          queue: new EmbeddedJobQueue(db),
          inference: client,
          datasetId: imported.dataset.id,
        });
        expect((await getRun({ db, runId: id })).modelInfo).toEqual({
          name: "model",
          sourceFormat: "hf-native",
          dtype: "fp16",
          dtypes: ["fp32", "fp16"],
          breadthMode: "lens",
          padToSquare: false,
        });
      } finally {
        await db.$disconnect();
      }
    } finally {
      await server.stop();
    }
  });

  it("a dtype the folder was not exported in fails the load, naming the missing variant", async () => {
    const { server, client } = await serveModel(MINI_MODEL_DIR, { MODEL_DTYPE: "fp16" });
    try {
      const health = await client.health.query();
      expect(health.model.state).toBe("failed");
      expect("detail" in health.model ? health.model.detail : "").toMatch(/vision_encoder_fp16\.onnx/);
    } finally {
      await server.stop();
    }
  });

  it("the bundled model is reported as Lens's own export in fp32", async () => {
    const { server, client } = await serveModel(MINI_MODEL_DIR);
    try {
      const health = await client.health.query();
      expect(health.model).toMatchObject({
        state: "ready",
        info: { sourceFormat: "lens", dtype: "fp32", dtypes: ["fp32"] },
      });
    } finally {
      await server.stop();
    }
  });
});
