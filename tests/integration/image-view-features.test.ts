import fs from "node:fs/promises";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pcaRgbMaps } from "~/lib/analysis";
import { fp16ToFp32, fp32ToFp16 } from "~/lib/tensor";
import { createCaller } from "~/server/api/root";
import type { SourceFeatures } from "~/server/features/feature-file";
import { LocalFeatureStore } from "~/server/features/feature-store";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import { createInferenceClient } from "~/server/services/inference-client";
import type { Db } from "~/server/store/db";
import { testApiContext } from "../helpers/api-context";
import {
  createSyntheticAnalysisRun,
  createTestDatabase,
  gaussian,
  type SyntheticAnalysisRun,
  seededRandom,
} from "../helpers/synthetic-analysis-run";

// Three sources: two on V's 4×4 grid with a pooled token (widths 8 and 6), one on a finer 8×8 grid without.
const SOURCES = [
  { name: "depth:V", dim: 8, grid: [4, 4] as [number, number], hasPooledToken: true },
  { name: "breadth:<OCR>", dim: 6, grid: [4, 4] as [number, number], hasPooledToken: true },
  { name: "depth:stage1", dim: 4, grid: [8, 8] as [number, number], hasPooledToken: false },
];

let db: Db;
let dataDir: string;
let cleanup: () => Promise<void>;
let run: SyntheticAnalysisRun;
/** Per image and source: the patch tokens as the file stores them (fp16-rounded), [cells, dim]. */
const patches = new Map<string, Float32Array>();

function caller() {
  const down = createInferenceClient({ url: "http://127.0.0.1:9", timeoutMs: 100 });
  return createCaller(
    testApiContext({
      db,
      queue: new EmbeddedJobQueue(db),
      dataDir,
      inference: { client: down, slowClient: down, url: "http://127.0.0.1:9" },
    }),
  );
}

function decodeFloats(base64: string): Float32Array {
  const bytes = Buffer.from(base64, "base64");
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

beforeAll(async () => {
  ({ db, dataDir, cleanup } = await createTestDatabase("lens-image-view-"));
  run = await createSyntheticAnalysisRun({
    db,
    name: "image view",
    images: 3,
    clusters: 1,
    sources: SOURCES.map((s) => ({ name: s.name, dim: s.dim, kind: "latent" as const })),
  });
  const store = new LocalFeatureStore(dataDir);
  const random = seededRandom(11);
  for (const imageId of run.imageIds) {
    const image = await db.image.findUniqueOrThrow({ where: { id: imageId } });
    const sources: Record<string, SourceFeatures> = {};
    for (const source of SOURCES) {
      const cells = source.grid[0] * source.grid[1];
      const tokens = cells + (source.hasPooledToken ? 1 : 0);
      // Left and right halves of the grid differ along the first channel, so the maps have a structure.
      const values = Float32Array.from({ length: tokens * source.dim }, (_, k) => {
        const cell = Math.floor(k / source.dim) - (source.hasPooledToken ? 1 : 0);
        const isRight = cell >= 0 && cell % source.grid[1] >= source.grid[1] / 2;
        return (k % source.dim === 0 && isRight ? 4 : 0) + gaussian(random);
      });
      const half = fp32ToFp16(values);
      sources[source.name] = {
        tensor: { data: values, dims: [tokens, source.dim] },
        grid: source.grid,
        hasPooledToken: source.hasPooledToken,
      };
      const first = source.hasPooledToken ? source.dim : 0;
      patches.set(`${imageId}/${source.name}`, fp16ToFp32(half).slice(first));
    }
    const { file } = await store.writeImage({
      runId: run.runId,
      imageSha256: image.sha256,
      model: "synthetic-model",
      dtype: "fp16",
      sources,
    });
    await db.runImage.update({
      where: { runId_imageId: { runId: run.runId, imageId } },
      data: { featureFile: file.path, featureSha256: file.sha256 },
    });
  }
});

afterAll(async () => {
  await cleanup();
});

describe("image view: PCA-RGB maps", () => {
  it("matches pcaRgbMaps on the stored patch tokens, per image and with a shared basis", async () => {
    const imageIds = run.imageIds.slice(0, 2);
    for (const sharedBasis of [false, true]) {
      const views = await caller().imageView.pcaRgb({
        runId: run.runId,
        imageIds,
        sources: ["depth:V", "depth:stage1"],
        sharedBasis,
      });
      expect(views.map((v) => v.source)).toEqual(["depth:V", "depth:stage1"]);
      for (const view of views) {
        const spec = SOURCES.find((s) => s.name === view.source);
        if (spec === undefined) throw new Error(view.source);
        const direct = pcaRgbMaps(
          imageIds.map((id) => ({
            data: patches.get(`${id}/${view.source}`) as Float32Array,
            dims: [...spec.grid, spec.dim],
          })),
          { shared: sharedBasis },
        );
        expect(view.threshold).toBe(0.5);
        expect(view.explainedVarianceRatio).toHaveLength(sharedBasis ? 1 : 2);
        expect(view.maps.map((m) => m.imageId)).toEqual(imageIds);
        for (const [i, map] of view.maps.entries()) {
          expect(map.grid).toEqual(spec.grid);
          const rgba = new Uint8Array(Buffer.from(map.rgba, "base64"));
          expect(rgba).toHaveLength(spec.grid[0] * spec.grid[1] * 4);
          expect([...rgba]).toEqual([...(direct.maps[i]?.rgba ?? [])]);
          expect(map.foregroundFraction).toBeCloseTo(direct.maps[i]?.foregroundFraction ?? -1, 10);
        }
      }
    }
  });

  it("keeps every patch without a threshold, and refuses a source the run does not keep", async () => {
    const [view] = await caller().imageView.pcaRgb({
      runId: run.runId,
      imageIds: [run.imageIds[0] ?? ""],
      sources: ["breadth:<OCR>"],
      threshold: null,
    });
    expect(view?.threshold).toBeNull();
    expect(view?.maps[0]?.foregroundFraction).toBe(1);
    await expect(
      caller().imageView.pcaRgb({ runId: run.runId, imageIds: [run.imageIds[0] ?? ""], sources: ["fused"] }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/keeps no source "fused"/),
    });
  });
});

describe("image view: patch similarity", () => {
  it("gives the cosine similarity of the clicked cell in each source with the same grid, and says why not otherwise", async () => {
    const imageId = run.imageIds[1] ?? "";
    const patchIndex = 6;
    const view = await caller().imageView.patchSimilarity({
      runId: run.runId,
      imageId,
      source: "depth:V",
      patchIndex,
      targetSources: ["depth:V", "breadth:<OCR>", "depth:stage1"],
    });
    expect(view.grid).toEqual([4, 4]);
    expect(view.targets.map((t) => [t.source, t.available])).toEqual([
      ["depth:V", true],
      ["breadth:<OCR>", true],
      ["depth:stage1", false],
    ]);
    for (const target of view.targets) {
      if (!target.available) {
        expect(target.reason).toMatch(/8×8 grid differs from depth:V's 4×4/);
        continue;
      }
      const dim = SOURCES.find((s) => s.name === target.source)?.dim ?? 0;
      const tokens = patches.get(`${imageId}/${target.source}`) as Float32Array;
      const row = (p: number) => [...tokens.subarray(p * dim, (p + 1) * dim)];
      const norm = (v: number[]) => Math.hypot(...v);
      const query = row(patchIndex);
      const similarity = decodeFloats(target.similarity);
      expect(similarity).toHaveLength(16);
      for (let p = 0; p < 16; p++) {
        const other = row(p);
        const expected =
          other.reduce((sum, x, j) => sum + x * (query[j] as number), 0) / (norm(other) * norm(query));
        expect(similarity[p]).toBeCloseTo(expected, 5);
      }
      expect(similarity[patchIndex]).toBeCloseTo(1, 5);
      expect(target.max).toBeCloseTo(Math.max(...similarity), 6);
      expect(target.min).toBeCloseTo(Math.min(...similarity), 6);
    }
  });

  it("refuses a patch outside the grid and an image outside the run", async () => {
    await expect(
      caller().imageView.patchSimilarity({
        runId: run.runId,
        imageId: run.imageIds[0] ?? "",
        source: "depth:V",
        patchIndex: 16,
        targetSources: ["depth:V"],
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST", message: expect.stringMatching(/outside the 4×4 grid/) });
    await expect(caller().imageView.summary({ runId: run.runId, imageId: "nope" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });
});

describe("image view: summary and a server that is down", () => {
  it("describes the image with its neighbours, and reports live work as unavailable when the server is down", async () => {
    const [first, second, third] = run.imageIds;
    const summary = await caller().imageView.summary({ runId: run.runId, imageId: second ?? "" });
    expect(summary).toMatchObject({
      fileName: "img-0001.png",
      status: "done",
      sources: SOURCES.map((s) => s.name),
      previousImageId: first,
      nextImageId: third,
    });
    // A real file for the synthetic row: the request gets as far as the (unreachable) inference server.
    const image = await db.image.findUniqueOrThrow({ where: { id: second ?? "" } });
    const png = await sharp({ create: { width: 8, height: 8, channels: 3, background: "#808080" } })
      .png()
      .toBuffer();
    await fs.mkdir(path.dirname(path.join(dataDir, image.storagePath)), { recursive: true });
    await fs.writeFile(path.join(dataDir, image.storagePath), png);
    await expect(
      caller().imageView.ask({ runId: run.runId, imageSha256: summary.sha256, question: "What is it?" }),
    ).rejects.toMatchObject({
      code: "SERVICE_UNAVAILABLE",
      message: expect.stringMatching(/inference server is not reachable/),
    });
    await expect(
      caller().imageView.attention({ runId: run.runId, imageId: second ?? "" }),
    ).rejects.toMatchObject({ code: "SERVICE_UNAVAILABLE" });
  });
});
