import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalFeatureStore } from "~/server/features/feature-store";
import type { WorkerDeps } from "~/server/jobs/run-worker";
import { createInferenceClient } from "~/server/services/inference-client";
import type { Db } from "~/server/store/db";
import { callerOfWorkerDeps } from "../helpers/api-context";
import { processRequestedJob } from "../helpers/process-requested-job";
import {
  createSyntheticAnalysisRun,
  createTestDatabase,
  type SyntheticAnalysisRun,
} from "../helpers/synthetic-analysis-run";
import { syntheticTextFeatures } from "../helpers/synthetic-text-features";
import { freshQueuePrefix, openTestQueue } from "../helpers/test-queue";

// The bundled model is not needed: caption features come from a deterministic provider (syntheticTextFeatures).
const IMAGES = 120;
const BATCH = 16;
const TEXT_DIM = 12;
const TOKENS = 3;

let db: Db;
let cleanup: () => Promise<void>;
let deps: WorkerDeps;
let run: SyntheticAnalysisRun;
const textCalls: number[] = [];

beforeAll(async () => {
  let dataDir: string;
  ({ db, dataDir, cleanup } = await createTestDatabase("lens-alignment-"));
  run = await createSyntheticAnalysisRun({
    db,
    name: "aligned",
    images: IMAGES,
    clusters: 6,
    prompts: ["<DETAILED_CAPTION>", "<OCR>"],
    sources: [
      { name: "depth:V", dim: 16, kind: "latent" },
      { name: "breadth:<DETAILED_CAPTION>", dim: 12, kind: "latent" },
      // Unrelated to the image: its probe cannot beat chance on held-out pairs.
      { name: "breadth:<OCR>", dim: 12, kind: "noise" },
      { name: "fused", dim: 16, kind: "latent" },
    ],
    // A few images without a caption are skipped.
    uncaptioned: (i) => i % 40 === 39,
  });
  deps = {
    db,
    dataDir,
    inference: createInferenceClient({ url: "http://127.0.0.1:9", timeoutMs: 100 }),
    features: new LocalFeatureStore(dataDir),
    queue: openTestQueue(db, { prefix: freshQueuePrefix() }),
    workerId: "test-worker",
    staleAfterMs: 60_000,
    textFeatures: syntheticTextFeatures(run, { textDim: TEXT_DIM, tokens: TOKENS, calls: textCalls }),
  };
});

afterAll(async () => {
  await deps?.queue.close();
  await cleanup?.();
});

describe("the alignment job", () => {
  it("trains a probe per source and ablation, with recall and CKA, and stores the result", {
    timeout: 180_000,
  }, async () => {
    const caller = callerOfWorkerDeps(deps);
    expect(await caller.analysis.alignment({ runId: run.runId })).toBeNull();
    const { jobId } = await caller.analysis.requestAlignment({
      runId: run.runId,
      batchSize: BATCH,
      seed: 5,
      steps: 120,
    });
    // The same request while it waits joins it.
    expect(
      await caller.analysis.requestAlignment({ runId: run.runId, batchSize: BATCH, seed: 5, steps: 120 }),
    ).toEqual({ jobId });

    await processRequestedJob(deps, "alignment", jobId);
    expect(await caller.analysis.job({ jobId })).toMatchObject({
      status: "completed",
      fraction: 1,
      error: null,
    });
    // Captions go to the language model in batches of at most 64.
    expect(textCalls).toEqual([64, 53]);

    const result = await caller.analysis.alignment({ runId: run.runId });
    if (result === null) throw new Error("no alignment result");
    expect(result.jobId).toBe(jobId);
    expect(result.settings).toMatchObject({
      batchSize: BATCH,
      seed: 5,
      steps: 120,
      images: 117,
      trainImages: 94,
      heldOutImages: 23,
      skippedWithoutCaption: 3,
      textModel: "synthetic-model",
      isTextModelOfRun: true,
      textDim: TEXT_DIM,
    });
    expect(result.rows.map((r) => r.source)).toEqual([
      "depth:V",
      "breadth:<DETAILED_CAPTION>",
      "breadth:<OCR>",
      "fused",
      "concat: all",
      "concat − V",
      "concat − <DETAILED_CAPTION>",
      "concat − <OCR>",
    ]);
    const row = (source: string) => {
      const found = result.rows.find((r) => r.source === source);
      if (found === undefined) throw new Error(`no row ${source}`);
      return found;
    };
    expect(row("concat: all").dim).toBe(16 + 12 + 12);
    expect(row("concat − V").dim).toBe(24);
    for (const r of result.rows) {
      expect(r.chance).toBeCloseTo(Math.log(BATCH), 12);
      expect(r.steps).toEqual(Array.from({ length: 12 }, (_, i) => 10 * (i + 1)));
      expect(r.trainLoss).toHaveLength(12);
      expect(r.heldOutCurve).toHaveLength(12);
      expect(r.heldOutLoss).toBe(r.heldOutCurve.at(-1));
      expect(r.r1).toBeGreaterThanOrEqual(0);
      expect(r.r5).toBeGreaterThanOrEqual(r.r1);
      expect(r.r5).toBeLessThanOrEqual(1);
    }
    // Separable data: a source that carries the image's latent aligns far below chance and retrieves its
    // caption; the unrelated source does not.
    // (With temperature 1 and unit vectors the loss cannot go below ln(1 + (N − 1)/e²) ≈ 1.1 for N = 16.)
    for (const source of ["depth:V", "fused", "concat: all", "concat − <OCR>"]) {
      expect(row(source).heldOutLoss).toBeLessThan(0.9 * Math.log(BATCH));
      expect(row(source).r5).toBeGreaterThan(0.8);
    }
    expect(row("breadth:<OCR>").heldOutLoss).toBeGreaterThan(row("depth:V").heldOutLoss + 0.3);
    expect(row("breadth:<OCR>").r5).toBeLessThan(row("depth:V").r5);
    // Training lowers the loss.
    const curve = row("depth:V").trainLoss;
    expect(curve.at(-1)).toBeLessThan(curve[0] as number);

    expect(result.cka.sources).toEqual([
      "depth:V",
      "breadth:<DETAILED_CAPTION>",
      "breadth:<OCR>",
      "fused",
      "concat: all",
      "text",
    ]);
    const { matrix } = result.cka;
    expect(matrix).toHaveLength(6);
    for (const [i, line] of matrix.entries()) {
      expect(line[i]).toBe(1);
      for (const [j, value] of line.entries()) {
        expect(value).toBe(matrix[j]?.[i]);
        expect(value).toBeGreaterThanOrEqual(0);
        expect(value).toBeLessThanOrEqual(1 + 1e-9);
      }
    }
    // Linear images of one latent are similar; noise is not.
    expect(matrix[0]?.[3]).toBeGreaterThan(0.5);
    expect(matrix[0]?.[5]).toBeGreaterThan(0.5);
    expect(matrix[2]?.[5]).toBeLessThan(matrix[0]?.[5] as number);
  });

  it("is refused when the run has too few captioned images for the batch size", async () => {
    const caller = callerOfWorkerDeps(deps);
    await expect(caller.analysis.requestAlignment({ runId: run.runId, batchSize: 64 })).rejects.toThrow(
      /needs at least 318 encoded images with captions; this run has 117 \(3 more have no caption\)/,
    );
  });
});
