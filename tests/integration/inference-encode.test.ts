import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createInferenceClient, type InferenceClient } from "~/server/services/inference-client";
import { readFixtures } from "../helpers/engine-fixtures";
import { MINI_MODEL_DIR, PARITY_FIXTURES_DIR } from "../helpers/mini-model-paths";
import { getFreePort, type RunningProcess, startBin, waitUntil } from "../helpers/processes";

let server: RunningProcess;
let client: InferenceClient;
let png: Uint8Array<ArrayBuffer>;
let caption: string;

beforeAll(async () => {
  const port = await getFreePort();
  server = startBin("tsx", ["server/inference/main.ts"], {
    INFERENCE_PORT: String(port),
    MODEL_DIR: MINI_MODEL_DIR,
  });
  client = createInferenceClient({ url: `http://127.0.0.1:${port}`, timeoutMs: 60_000 });
  await waitUntil(
    async () => (await client.health.query()).model.state === "ready",
    60_000,
    `model ready (${server.output()})`,
  );
  const [fixture] = await readFixtures(PARITY_FIXTURES_DIR);
  if (fixture === undefined) throw new Error("no fixtures");
  png = new Uint8Array(await fs.readFile(path.join(PARITY_FIXTURES_DIR, fixture.image)));
  caption = fixture.truth.caption;
});

afterAll(async () => {
  await server?.stop();
});

describe("inference server with the bundled model", () => {
  it("reports a loaded Florence-VL model", async () => {
    const health = await client.health.query();
    expect(health.model).toMatchObject({ state: "ready", kind: "florence-vl", graphCount: 7 });
  });

  it("encodes a batch, recording bad images as failed with their reason while the rest are encoded", async () => {
    const results = await client.encode.mutate({
      images: [
        { name: "good.png", bytes: png },
        { name: "empty.png", bytes: new Uint8Array(0) },
        { name: "notes.txt", bytes: new TextEncoder().encode("not an image at all") },
        { name: "truncated.png", bytes: png.subarray(0, 200) },
      ],
      questions: ["How many objects are there?"],
    });
    expect(results.map((r) => [r.name, r.ok])).toEqual([
      ["good.png", true],
      ["empty.png", false],
      ["notes.txt", false],
      ["truncated.png", false],
    ]);
    expect(results.slice(1).map((r) => (r.ok ? "" : r.problem))).toEqual([
      "empty",
      "unsupported-format",
      "corrupt",
    ]);
    const good = results[0];
    if (!good?.ok) throw new Error("first image failed");
    const v = good.features.sources["depth:V"];
    expect(v?.tensor.data).toBeInstanceOf(Float32Array);
    expect(v?.tensor.dims).toEqual([145, 128]);
    expect(Object.keys(good.features.sources).sort()).toEqual(
      [
        "breadth:<DENSE_REGION_CAPTION>",
        "breadth:<DETAILED_CAPTION>",
        "breadth:<OCR>",
        "depth:V",
        "fused",
      ].sort(),
    );
    expect(good.tasks.map((t) => t.task)).toEqual(["<DETAILED_CAPTION>", "<OCR>", "<DENSE_REGION_CAPTION>"]);
    expect(good.answers).toHaveLength(1);
  });

  it("answers a live question and returns caption text features", async () => {
    const answer = await client.answer.mutate({
      image: { name: "good.png", bytes: png },
      question: "How many objects are there?",
    });
    expect(answer.tokenIds.length).toBeGreaterThan(0);
    const [features] = await client.textFeatures.mutate({ texts: [caption] });
    expect(features?.dims[1]).toBe(128);
    expect(features?.data.length).toBe((features?.dims[0] ?? 0) * 128);
  });

  it("refuses a live question about a broken image with a typed error", async () => {
    await expect(
      client.answer.mutate({ image: { name: "x", bytes: new Uint8Array(0) }, question: "What?" }),
    ).rejects.toThrow(/empty/);
  });
});
