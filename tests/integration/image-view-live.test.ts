import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCaller } from "~/server/api/root";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import { createInferenceClient, type InferenceClient } from "~/server/services/inference-client";
import { DEFAULT_PROMPTS, DEFAULT_QUESTIONS, defaultSources } from "~/server/services/runs/run-settings";
import { storeFile } from "~/server/store/content-store";
import type { Db } from "~/server/store/db";
import { testApiContext } from "../helpers/api-context";
import { MINI_MODEL_DIR, STOCK_MODEL_DIR } from "../helpers/mini-model-paths";
import { getFreePort, ROOT, type RunningProcess, startBin, waitUntil } from "../helpers/processes";
import { createTestDatabase } from "../helpers/synthetic-analysis-run";

const SCENE = path.join(ROOT, "demo", "florence-vl-mini-scenes", "test-0001.png");

let db: Db;
let dataDir: string;
let cleanup: () => Promise<void>;
let server: RunningProcess;
let client: InferenceClient;
let url: string;
let runId: string;
let stockRunId: string;
let imageId: string;
let sha256: string;
let bytes: Uint8Array<ArrayBuffer>;

function caller(inference = { client, url }) {
  return createCaller(
    testApiContext({
      db,
      queue: new EmbeddedJobQueue(db),
      dataDir,
      inference: { client: inference.client, slowClient: inference.client, url: inference.url },
    }),
  );
}

async function startInference(modelDir: string) {
  const port = await getFreePort();
  const child = startBin("tsx", ["server/inference/main.ts"], {
    INFERENCE_PORT: String(port),
    MODEL_DIR: modelDir,
  });
  const address = `http://127.0.0.1:${port}`;
  const inference = createInferenceClient({ url: address, timeoutMs: 60_000 });
  await waitUntil(
    async () => (await inference.health.query()).model.state === "ready",
    60_000,
    `model ready (${child.output()})`,
  );
  return { server: child, url: address, client: inference };
}

// A run records its model folder; the image view asks the inference server for that model.
async function createRun(datasetId: string, name: string, modelDir: string): Promise<string> {
  const run = await db.run.create({
    data: {
      name,
      datasetId,
      modelDir,
      modelHash: name,
      prompts: DEFAULT_PROMPTS,
      sources: defaultSources(DEFAULT_PROMPTS, false),
      questions: DEFAULT_QUESTIONS,
    },
  });
  return run.id;
}

function decodeFloats(base64: string): Float32Array {
  const buffer = Buffer.from(base64, "base64");
  return new Float32Array(buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength));
}

beforeAll(async () => {
  ({ db, dataDir, cleanup } = await createTestDatabase("lens-image-view-live-"));
  ({ server, url, client } = await startInference(MINI_MODEL_DIR));
  // A dataset of one demo scene and a run over it: attention and live answers need no stored features.
  bytes = new Uint8Array(await fs.readFile(SCENE));
  const stored = await storeFile({ db, dataDir, bytes, fileName: "test-0001.png" });
  ({ id: imageId, sha256 } = stored);
  const dataset = await db.dataset.create({ data: { name: "one scene", source: "upload" } });
  await db.datasetItem.create({
    data: { datasetId: dataset.id, imageId, fileName: "test-0001.png", position: 0 },
  });
  runId = await createRun(dataset.id, "live", MINI_MODEL_DIR);
  stockRunId = await createRun(dataset.id, "stock", STOCK_MODEL_DIR);
});

afterAll(async () => {
  await server?.stop();
  await cleanup?.();
});

describe("image view with the bundled model", () => {
  it("returns every prompt's and question's attention maps, equal to the inference server's, and caches them", async () => {
    const view = await caller().imageView.attention({ runId, imageId });
    const [direct] = await client.encode.mutate({
      images: [{ name: sha256, bytes }],
      prompts: DEFAULT_PROMPTS,
      includeAttention: true,
      questions: DEFAULT_QUESTIONS,
    });
    if (direct === undefined || !direct.ok) throw new Error("direct encode failed");
    expect(view.tasks.map((t) => t.task)).toEqual(DEFAULT_PROMPTS);
    expect(view.answers.map((a) => a.question)).toEqual(DEFAULT_QUESTIONS);
    expect(view.answersNote).toBeNull();
    for (const [i, task] of view.tasks.entries()) {
      const expected = direct.tasks[i];
      expect(task.text).toBe(expected?.text);
      for (const [kind, grids] of [
        ["cross", task.crossAttention],
        ["prompt", task.promptAttention],
      ] as const) {
        const reference = kind === "cross" ? expected?.crossAttention : expected?.promptAttention;
        if (!grids.available || reference == null) throw new Error(`${task.task} has no ${kind} attention`);
        expect(grids.grid).toEqual([12, 12]);
        expect(grids.queries).toEqual(reference.queries);
        if (kind === "cross") expect(grids.queries).toEqual(task.tokens);
        const data = decodeFloats(grids.data);
        expect(data).toHaveLength(grids.layers * grids.heads * grids.queries.length * 144);
        expect(data).toEqual(reference.data);
        // Attention probabilities: non-negative, and a query's mass over the patches is at most 1.
        expect(Math.min(...data)).toBeGreaterThanOrEqual(0);
        for (let row = 0; row < data.length / 144; row++) {
          const mass = data.subarray(row * 144, (row + 1) * 144).reduce((a, b) => a + b, 0);
          expect(mass).toBeLessThanOrEqual(1 + 1e-4);
        }
      }
    }
    for (const answer of view.answers) {
      expect(answer.visualAttention.available).toBe(true);
      if (answer.visualAttention.available) expect(answer.visualAttention.queries).toEqual(answer.tokens);
    }
    const started = performance.now();
    expect(await caller().imageView.attention({ runId, imageId })).toEqual(view);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it("answers a live question as the inference server does, and refuses an image outside the run", async () => {
    const question = "How many objects are there?";
    const live = await caller().imageView.ask({ runId, imageSha256: sha256, question });
    const direct = await client.answer.mutate({ image: { name: sha256, bytes }, question });
    expect(live).toEqual({ question, text: direct.text, tokens: direct.tokens });
    expect(live.text.length).toBeGreaterThan(0);
    await expect(
      caller().imageView.ask({ runId, imageSha256: "0".repeat(64), question }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("says plainly what a stock Florence-2 export cannot show: no attention outputs, no language model", async () => {
    const stock = await startInference(STOCK_MODEL_DIR);
    try {
      const view = await caller(stock).imageView.attention({ runId: stockRunId, imageId });
      expect(view.tasks.map((t) => t.task)).toEqual(DEFAULT_PROMPTS);
      for (const task of view.tasks) {
        expect(task.crossAttention).toEqual({
          available: false,
          reason: expect.stringMatching(/no decoder cross-attention/),
        });
        expect(task.promptAttention).toEqual({
          available: false,
          reason: expect.stringMatching(/no encoder self-attention/),
        });
      }
      expect(view.answers).toEqual([]);
      expect(view.answersNote).toMatch(/no language model/);
      await expect(
        caller(stock).imageView.ask({ runId: stockRunId, imageSha256: sha256, question: "What is it?" }),
      ).rejects.toMatchObject({ code: "CONFLICT", message: expect.stringMatching(/no language model/) });
    } finally {
      await stock.server.stop();
    }
  });
});
