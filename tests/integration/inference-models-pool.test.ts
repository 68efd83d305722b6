import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "~/server/app-error";
import { LocalFeatureStore } from "~/server/features/feature-store";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import type { InferenceClient } from "~/server/services/inference-client";
import { listModels } from "~/server/services/models/list-models";
import { createRun } from "~/server/services/runs/create-run";
import { storeFile } from "~/server/store/content-store";
import { readFixtures } from "../helpers/engine-fixtures";
import { serveModel } from "../helpers/inference-server";
import { MINI_MODEL_DIR, PARITY_FIXTURES_DIR, STOCK_MODEL_DIR } from "../helpers/mini-model-paths";
import { processRequestedJob } from "../helpers/process-requested-job";
import { ROOT, type RunningProcess } from "../helpers/processes";
import { createTestDatabase } from "../helpers/synthetic-analysis-run";

// Three real model folders: the bundled Florence-VL-mini (with its language model), its stock Florence-2 export,
// and the bundled contrastive miniature (a CLIP-layout comparison encoder).
const CONTRASTIVE_DIR = path.join(ROOT, "models", "contrastive-mini");
const MODELS = [MINI_MODEL_DIR, STOCK_MODEL_DIR, CONTRASTIVE_DIR];
const MIB = 1024 * 1024;
const QUESTIONS = ["How many objects are there?"];

type EncodeResult = Awaited<ReturnType<InferenceClient["encode"]["mutate"]>>[number];

let scratch: string;
let png: Uint8Array<ArrayBuffer>;
let budgetMb: number;
let pooled: { server: RunningProcess; client: InferenceClient };
const references = new Map<string, EncodeResult>();
const singles: RunningProcess[] = [];

function encodeRequest(model?: string) {
  return {
    ...(model === undefined ? {} : { model }),
    images: [{ name: "scene.png", bytes: png }],
    questions: QUESTIONS,
  };
}

async function onnxBytes(dir: string): Promise<number> {
  const files = await fs.readdir(path.join(dir, "onnx"));
  const sizes = await Promise.all(files.map(async (f) => (await fs.stat(path.join(dir, "onnx", f))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
}

function bytesOf(data: ArrayBufferView): Buffer {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** The same answer, byte for byte: every feature source's tensor, every task's text, every question's answer. */
function expectSameAnswer(actual: EncodeResult | undefined, expected: EncodeResult | undefined) {
  if (!actual?.ok || !expected?.ok) throw new Error("an encode failed");
  const sources = Object.keys(expected.features.sources).sort();
  expect(Object.keys(actual.features.sources).sort()).toEqual(sources);
  for (const source of sources) {
    const a = actual.features.sources[source];
    const e = expected.features.sources[source];
    if (a === undefined || e === undefined) throw new Error(`no ${source}`);
    expect(a.tensor.dims).toEqual(e.tensor.dims);
    expect(bytesOf(a.tensor.data).equals(bytesOf(e.tensor.data)), source).toBe(true);
  }
  expect(actual.tasks.map((t) => [t.task, t.text])).toEqual(expected.tasks.map((t) => [t.task, t.text]));
  expect(actual.answers.map((a) => [a.question, a.text])).toEqual(
    expected.answers.map((a) => [a.question, a.text]),
  );
}

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "lens-models-pool-"));
  const [fixture] = await readFixtures(PARITY_FIXTURES_DIR);
  if (fixture === undefined) throw new Error("no fixtures");
  png = new Uint8Array(await fs.readFile(path.join(PARITY_FIXTURES_DIR, fixture.image)));
  // A budget that fits Florence-VL-mini alone, not with the stock Florence-2 export; the stock export and the small
  // contrastive encoder fit together.
  const [mini, stock, contrastive] = await Promise.all(MODELS.map(onnxBytes));
  budgetMb = Math.ceil((mini ?? 0) / MIB) + 1;
  expect((mini ?? 0) + (stock ?? 0)).toBeGreaterThan(budgetMb * MIB);
  expect((stock ?? 0) + (contrastive ?? 0)).toBeLessThanOrEqual(budgetMb * MIB);

  // Each model's single-model answer, from an inference server serving only it.
  for (const dir of MODELS) {
    const single = await serveModel(dir, { MODELS_DIR: scratch });
    singles.push(single.server);
    const [result] = await single.client.encode.mutate(encodeRequest());
    if (result === undefined) throw new Error(`no answer from ${dir}`);
    references.set(dir, result);
    await single.server.stop();
  }
  // One server knowing all three (the default, then MODEL_DIRS), under that budget.
  pooled = await serveModel(MINI_MODEL_DIR, {
    MODELS_DIR: scratch,
    MODEL_DIRS: [STOCK_MODEL_DIR, CONTRASTIVE_DIR].join(","),
    INFERENCE_MEMORY_MB: String(budgetMb),
  });
}, 600_000);

afterAll(async () => {
  await pooled?.server.stop();
  for (const single of singles) await single.stop();
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

describe("one inference server, several models under a memory budget", () => {
  it("loads each model on its first request, unloads the least recently used one, and answers as the model alone", async () => {
    const { client } = pooled;
    const start = await client.health.query();
    expect(start.memoryBudgetBytes).toBe(budgetMb * MIB);
    expect(start.loaded.map((m) => m.dir)).toEqual([MINI_MODEL_DIR]);
    const name = (dir: string) => path.basename(dir);
    // Each request, what is loaded after it (least recently used first), and the loads and unloads it caused.
    const steps: [string, string[], string[]][] = [
      [STOCK_MODEL_DIR, [STOCK_MODEL_DIR], ["unload florence-vl-mini", "load florence-2-stock-mini"]],
      [MINI_MODEL_DIR, [MINI_MODEL_DIR], ["unload florence-2-stock-mini", "load florence-vl-mini"]],
      [STOCK_MODEL_DIR, [STOCK_MODEL_DIR], ["unload florence-vl-mini", "load florence-2-stock-mini"]],
      [CONTRASTIVE_DIR, [STOCK_MODEL_DIR, CONTRASTIVE_DIR], ["load contrastive-mini"]],
      [STOCK_MODEL_DIR, [CONTRASTIVE_DIR, STOCK_MODEL_DIR], []],
      [
        MINI_MODEL_DIR,
        [MINI_MODEL_DIR],
        ["unload contrastive-mini", "unload florence-2-stock-mini", "load florence-vl-mini"],
      ],
    ];
    const figures: Record<string, unknown>[] = [];
    let seen = start.events.length;
    for (const [i, [dir, loadedAfter, events]] of steps.entries()) {
      // Models are named by folder name or by path, as runs record them.
      const [result] = await client.encode.mutate(encodeRequest(i % 2 === 0 ? dir : name(dir)));
      expectSameAnswer(result, references.get(dir));
      const health = await client.health.query();
      expect(health.loaded.map((m) => m.dir)).toEqual(loadedAfter);
      expect(health.loadedWeightBytes).toBeLessThanOrEqual(budgetMb * MIB);
      const happened = health.events.slice(seen);
      seen = health.events.length;
      expect(happened.map((e) => `${e.action} ${e.name}`)).toEqual(events);
      // The default model is still described as it was last loaded.
      expect(health.model).toMatchObject({ state: "ready", kind: "florence-vl" });
      figures.push({
        model: name(dir),
        events: happened.map((e) => `${e.action} ${e.name} ${e.ms.toFixed(1)} ms`),
        loadedWeightMb: +(health.loadedWeightBytes / MIB).toFixed(2),
        rssMb: Math.round(health.rssBytes / MIB),
      });
    }
    console.log(`[models-pool] budget ${budgetMb} MiB: ${JSON.stringify(figures)}`);
  }, 300_000);

  it("keeps a model loaded across its own requests and answers concurrent requests for two models", async () => {
    const { client } = pooled;
    const before = (await client.health.query()).events.length;
    const [mini, stock, miniAgain] = await Promise.all([
      client.encode.mutate(encodeRequest(MINI_MODEL_DIR)),
      client.encode.mutate(encodeRequest(STOCK_MODEL_DIR)),
      client.encode.mutate(encodeRequest(MINI_MODEL_DIR)),
    ]);
    expectSameAnswer(mini[0], references.get(MINI_MODEL_DIR));
    expectSameAnswer(stock[0], references.get(STOCK_MODEL_DIR));
    expectSameAnswer(miniAgain[0], references.get(MINI_MODEL_DIR));
    // mini was loaded (no event), then stock replaced it, then mini replaced stock: two unloads, two loads.
    const events = (await client.health.query()).events.slice(before);
    expect(events.map((e) => `${e.action} ${e.name}`)).toEqual([
      "unload florence-vl-mini",
      "load florence-2-stock-mini",
      "unload florence-2-stock-mini",
      "load florence-vl-mini",
    ]);
  }, 300_000);

  it("refuses a model folder it does not know, paths that climb out of one included", async () => {
    const { client } = pooled;
    for (const model of [
      "nowhere",
      path.join(MINI_MODEL_DIR, ".."),
      `${MINI_MODEL_DIR}/../../models`,
      "/etc",
    ])
      await expect(client.encode.mutate(encodeRequest(model))).rejects.toMatchObject({
        data: { code: "BAD_REQUEST" },
        message: expect.stringMatching(/Unknown model/),
      });
    await expect(client.load.mutate({ model: "../florence-vl-mini" })).rejects.toMatchObject({
      data: { code: "BAD_REQUEST" },
    });
    // A comparison encoder has no language model for live questions.
    await expect(
      client.answer.mutate({ model: CONTRASTIVE_DIR, image: { name: "a", bytes: png }, question: "Why?" }),
    ).rejects.toMatchObject({ data: { code: "PRECONDITION_FAILED" } });
  }, 120_000);

  it("describes every known model for the models page", async () => {
    const models = await pooled.client.models.query();
    expect(models.map((m) => [m.name, m.format, m.isDefault, m.hasLanguageModel])).toEqual([
      ["florence-vl-mini", "Florence-VL", true, true],
      ["florence-2-stock-mini", "Florence-2", false, false],
      ["contrastive-mini", "clip", false, false],
    ]);
    expect(models[2]?.sources).toEqual(["encoder:clip"]);
    expect(models[0]?.attentionOutputs.length).toBeGreaterThan(0);
    for (const model of models) expect(model.sizeBytes).toBeGreaterThanOrEqual(await onnxBytes(model.dir));
    // The models page's listing: which are loaded now, with their weights, and the budget.
    const listing = await listModels({ client: pooled.client });
    const health = await pooled.client.health.query();
    expect(listing.memoryBudgetBytes).toBe(budgetMb * MIB);
    expect(listing.models.filter((m) => m.isLoaded).map((m) => [m.dir, m.loadedWeightBytes])).toEqual(
      health.loaded.map((m) => [m.dir, m.memory.weightBytes]),
    );
  }, 120_000);

  it("a run picks its model: the worker's requests name it, unknown models are refused", async () => {
    const { db, dataDir, cleanup } = await createTestDatabase("lens-models-pool-db-");
    try {
      const image = await storeFile({ db, dataDir, bytes: png, fileName: "scene.png" });
      const dataset = await db.dataset.create({ data: { name: "one scene", source: "upload" } });
      await db.datasetItem.create({
        data: { datasetId: dataset.id, imageId: image.id, fileName: "scene.png", position: 0 },
      });
      const queue = new EmbeddedJobQueue(db);
      const base = { db, queue, inference: pooled.client, datasetId: dataset.id };
      await expect(createRun({ ...base, model: "../models/contrastive-mini" })).rejects.toSatisfy(
        (error) => error instanceof AppError && error.code === "BAD_INPUT",
      );
      await expect(
        createRun({ ...base, model: "contrastive-mini", questions: ["What is it?"] }),
      ).rejects.toSatisfy((error) => error instanceof AppError && /no language model/.test(error.message));
      // The default model is the one loaded now; the run is of the comparison encoder all the same.
      await pooled.client.encode.mutate(encodeRequest());
      const created = await createRun({ ...base, model: "contrastive-mini", name: "clip run" });
      const run = await db.run.findUniqueOrThrow({ where: { id: created.id } });
      expect([run.modelDir, run.sources, run.questions]).toEqual([CONTRASTIVE_DIR, ["encoder:clip"], []]);
      const features = new LocalFeatureStore(dataDir, path.join(dataDir, "features"));
      await processRequestedJob(
        { db, dataDir, inference: pooled.client, features, queue, workerId: "w", staleAfterMs: 60_000 },
        "encode-run",
        created.jobId,
      );
      const done = await db.runImage.findFirstOrThrow({ where: { runId: created.id } });
      expect(done.status).toBe("done");
      const pooledRow = await db.pooledFeature.findFirstOrThrow({ where: { runId: created.id } });
      expect(pooledRow.source).toBe("encoder:clip");
      expect((await pooled.client.health.query()).loaded.map((m) => m.name)).toContain("contrastive-mini");
    } finally {
      await cleanup();
    }
  }, 180_000);
});
