import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeNpy } from "~/lib/codec";
import { LocalFeatureStore } from "~/server/features/feature-store";
import { loadPooledVectors } from "~/server/features/pooled-vectors";
import type { WorkerDeps } from "~/server/jobs/run-worker";
import { alignmentResultSchema } from "~/server/services/analysis/alignment-types";
import { createInferenceClient } from "~/server/services/inference-client";
import type { Db } from "~/server/store/db";
import { callerOfWorkerDeps } from "../helpers/api-context";
import { processRequestedJob } from "../helpers/process-requested-job";
import {
  createSyntheticAnalysisRun,
  createTestDatabase,
  type SyntheticAnalysisRun,
} from "../helpers/synthetic-analysis-run";
import { addSyntheticComparisonRun } from "../helpers/synthetic-comparison-run";
import { syntheticTextFeatures } from "../helpers/synthetic-text-features";
import { freshQueuePrefix, openTestQueue } from "../helpers/test-queue";

// Cross-run alignment (issue 20, the paper's Fig. 4): a Florence-style run with a language model and a
// vision-only encoder run (sources encoder:*) over the same dataset; caption features from a deterministic provider.
const IMAGES = 120;
const BATCH = 16;
// Debian's interpreter, which has numpy (scripts/install-system-deps.sh).
const PYTHON = "/usr/bin/python3";
// NumPy's linear CKA of two runs' pooled vectors over the images both encoded that have a caption, dataset order.
const NUMPY_CKA = `
import json, sys, numpy as np
meta = json.load(open(sys.argv[3]))
a, b = np.load(sys.argv[1]).astype(np.float64), np.load(sys.argv[2]).astype(np.float64)
row_a = {i: r for r, i in enumerate(meta["idsA"])}
row_b = {i: r for r, i in enumerate(meta["idsB"])}
shared = [i for i in meta["captioned"] if i in row_a and i in row_b]
x = a[[row_a[i] for i in shared]]
y = b[[row_b[i] for i in shared]]
x = x - x.mean(0)
y = y - y.mean(0)
cka = np.linalg.norm(y.T @ x) ** 2 / (np.linalg.norm(x.T @ x) * np.linalg.norm(y.T @ y))
print(json.dumps({"images": len(shared), "cka": cka}))
`;

let db: Db;
let dataDir: string;
let cleanup: () => Promise<void>;
let deps: WorkerDeps;
let florence: SyntheticAnalysisRun;
let clipRunId: string;

beforeAll(async () => {
  ({ db, dataDir, cleanup } = await createTestDatabase("lens-alignment-runs-"));
  florence = await createSyntheticAnalysisRun({
    db,
    name: "florence",
    images: IMAGES,
    clusters: 6,
    prompts: ["<OCR>"],
    sources: [
      { name: "depth:V", dim: 16, kind: "latent" },
      { name: "breadth:<OCR>", dim: 12, kind: "noise" },
      { name: "fused", dim: 16, kind: "latent" },
    ],
    uncaptioned: (i) => i % 40 === 39,
  });
  // The encoder run lacks every tenth image: the analysis uses the images both runs encoded.
  ({ runId: clipRunId } = await addSyntheticComparisonRun({
    db,
    of: florence,
    name: "clip",
    modelDir: "models/contrastive-mini",
    sources: [{ name: "encoder:clip", dim: 10, signal: 1 }],
    encodes: (i) => i % 10 !== 0,
  }));
  deps = {
    db,
    dataDir,
    inference: createInferenceClient({ url: "http://127.0.0.1:9", timeoutMs: 100 }),
    features: new LocalFeatureStore(dataDir),
    queue: openTestQueue(db, { prefix: freshQueuePrefix() }),
    workerId: "test-worker",
    staleAfterMs: 60_000,
    textFeatures: syntheticTextFeatures(florence, { textDim: 12, tokens: 3 }),
  };
});

afterAll(async () => {
  await deps?.queue.close();
  await cleanup?.();
});

describe("the cross-run alignment analysis", () => {
  it("lists the dataset's other runs to compare", async () => {
    const caller = callerOfWorkerDeps(deps);
    expect(await caller.analysis.comparisonRuns({ runId: florence.runId })).toEqual([
      {
        runId: clipRunId,
        name: "clip",
        model: "contrastive-mini",
        status: "completed",
        done: 108,
        sources: ["encoder:clip"],
        hasLanguageModel: false,
      },
    ]);
  });

  it("trains every source of both runs on the same images and split, with CKA across the runs equal to NumPy's", {
    timeout: 180_000,
  }, async () => {
    const caller = callerOfWorkerDeps(deps);
    const { jobId } = await caller.analysis.requestAlignment({
      runId: florence.runId,
      comparisonRunIds: [clipRunId],
      batchSize: BATCH,
      seed: 3,
      steps: 200,
    });
    await processRequestedJob(deps, "alignment", jobId);
    expect(await caller.analysis.job({ jobId })).toMatchObject({ status: "completed", error: null });
    const result = await caller.analysis.alignment({ runId: florence.runId });
    if (result === null) throw new Error("no alignment result");

    expect(result.runs).toEqual([
      { runId: florence.runId, name: "florence", label: "synthetic", isTextRun: true },
      { runId: clipRunId, name: "clip", label: "contrastive-mini", isTextRun: false },
    ]);
    // 120 images, 3 without caption, 12 the encoder run lacks (none of them among the uncaptioned).
    expect(result.settings).toMatchObject({
      images: 105,
      heldOutImages: 21,
      trainImages: 84,
      skippedWithoutCaption: 3,
      isTextModelOfRun: true,
    });
    expect(result.rows.map((r) => [r.label, r.runId, r.source])).toEqual([
      ["synthetic · depth:V", florence.runId, "depth:V"],
      ["synthetic · breadth:<OCR>", florence.runId, "breadth:<OCR>"],
      ["synthetic · fused", florence.runId, "fused"],
      ["synthetic · concat: all", florence.runId, "concat: all"],
      ["synthetic · concat − V", florence.runId, "concat − V"],
      ["synthetic · concat − <OCR>", florence.runId, "concat − <OCR>"],
      ["contrastive-mini · encoder:clip", clipRunId, "encoder:clip"],
    ]);
    for (const row of result.rows) {
      expect(row.chance).toBeCloseTo(Math.log(BATCH), 12);
      expect(row.steps).toEqual(Array.from({ length: 20 }, (_, i) => 10 * (i + 1)));
    }
    const row = (label: string) => result.rows.find((r) => r.label === label);
    // The encoder's features carry the image's latent: aligned far below chance, unlike the noise source.
    expect(row("contrastive-mini · encoder:clip")?.heldOutLoss).toBeLessThan(0.9 * Math.log(BATCH));
    expect(row("synthetic · breadth:<OCR>")?.heldOutLoss).toBeGreaterThan(
      (row("contrastive-mini · encoder:clip")?.heldOutLoss as number) + 0.2,
    );

    const labels = result.cka.sources;
    expect(labels).toEqual([
      "synthetic · depth:V",
      "synthetic · breadth:<OCR>",
      "synthetic · fused",
      "synthetic · concat: all",
      "contrastive-mini · encoder:clip",
      "text",
    ]);
    // CKA across the runs, against NumPy on the stored vectors and the images both runs share.
    const captioned = florence.imageIds.filter((_, i) => florence.captions[i] !== null);
    for (const [source, at] of [
      ["depth:V", 0],
      ["breadth:<OCR>", 1],
    ] as const) {
      const a = await loadPooledVectors({ db, runId: florence.runId, source });
      const b = await loadPooledVectors({ db, runId: clipRunId, source: "encoder:clip" });
      const files = ["a.npy", "b.npy", "meta.json"].map((name) => path.join(dataDir, name));
      writeFileSync(
        files[0] as string,
        encodeNpy({ dtype: "F32", shape: [a.imageIds.length, a.dim], data: a.data }),
      );
      writeFileSync(
        files[1] as string,
        encodeNpy({ dtype: "F32", shape: [b.imageIds.length, b.dim], data: b.data }),
      );
      writeFileSync(files[2] as string, JSON.stringify({ idsA: a.imageIds, idsB: b.imageIds, captioned }));
      const reference = JSON.parse(
        execFileSync(PYTHON, ["-c", NUMPY_CKA, ...files], { encoding: "utf8" }),
      ) as { images: number; cka: number };
      expect(reference.images).toBe(105);
      const ours = result.cka.matrix[at]?.[4] as number;
      expect(Math.abs(ours - reference.cka)).toBeLessThan(1e-9);
      expect(result.cka.matrix[4]?.[at]).toBe(ours);
    }
    // A linear image of the same latents is similar across the runs; noise is not.
    expect(result.cka.matrix[0]?.[4]).toBeGreaterThan(0.5);
    expect(result.cka.matrix[1]?.[4]).toBeLessThan(0.3);

    // Text search keeps using the requested run's probes under their stored names.
    const stored = alignmentResultSchema.parse(
      (await deps.queue.latestCompleted("alignment", florence.runId))?.result,
    );
    expect(stored.probes?.map((p) => p.source)).toEqual(["depth:V", "breadth:<OCR>", "fused"]);
  });

  it("takes the caption features from the compared run with a language model", {
    timeout: 180_000,
  }, async () => {
    const caller = callerOfWorkerDeps(deps);
    const { jobId } = await caller.analysis.requestAlignment({
      runId: clipRunId,
      comparisonRunIds: [florence.runId],
      batchSize: BATCH,
      steps: 20,
    });
    await processRequestedJob(deps, "alignment", jobId);
    const result = await caller.analysis.alignment({ runId: clipRunId });
    expect(result?.runs.map((r) => [r.label, r.isTextRun])).toEqual([
      ["contrastive-mini", false],
      ["synthetic", true],
    ]);
    expect(result?.settings.isTextModelOfRun).toBe(true);
  });

  it("refuses runs of another dataset, without shared images, unknown, or without a language model", async () => {
    const caller = callerOfWorkerDeps(deps);
    const other = await createSyntheticAnalysisRun({
      db,
      name: "elsewhere",
      images: 40,
      clusters: 2,
      sources: [{ name: "fused", dim: 4, kind: "latent" }],
    });
    await expect(
      caller.analysis.requestAlignment({
        runId: florence.runId,
        comparisonRunIds: [other.runId],
        batchSize: BATCH,
      }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(
        /Run "elsewhere" is on dataset "elsewhere dataset", not "florence dataset"/,
      ),
    });
    const { runId: empty } = await addSyntheticComparisonRun({
      db,
      of: florence,
      name: "not encoded",
      modelDir: "models/siglip",
      sources: [{ name: "encoder:siglip", dim: 4, signal: 1 }],
      encodes: () => false,
    });
    await expect(
      caller.analysis.requestAlignment({
        runId: florence.runId,
        comparisonRunIds: [empty],
        batchSize: BATCH,
      }),
    ).rejects.toThrow(/needs at least 78 encoded images with captions; the 2 runs share 0\./);
    await expect(
      caller.analysis.requestAlignment({ runId: florence.runId, comparisonRunIds: ["no-such-run"] }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      caller.analysis.requestAlignment({ runId: clipRunId, comparisonRunIds: [empty], batchSize: BATCH }),
    ).rejects.toThrow(/None of the compared runs has a language model/);
    await expect(caller.analysis.requestAlignment({ runId: clipRunId, batchSize: BATCH })).rejects.toThrow(
      /None of the compared runs has a language model/,
    );
  });
});
