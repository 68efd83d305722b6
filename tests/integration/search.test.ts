import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32OfBase64 } from "~/lib/codec/base64";
import { meanOfPatchTokens, type Tensor } from "~/lib/tensor";
import { LocalFeatureStore } from "~/server/features/feature-store";
import { loadPooledVectors } from "~/server/features/pooled-vectors";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import type { WorkerDeps } from "~/server/jobs/run-worker";
import { alignmentResultSchema } from "~/server/services/analysis/alignment-types";
import type { TextFeatureProvider } from "~/server/services/analysis/text-features";
import { createInferenceClient } from "~/server/services/inference-client";
import { findSimilarImages } from "~/server/services/search/find-similar-images";
import { searchByText } from "~/server/services/search/search-by-text";
import type { Db } from "~/server/store/db";
import { callerOfWorkerDeps } from "../helpers/api-context";
import { processRequestedJob } from "../helpers/process-requested-job";
import {
  createSyntheticAnalysisRun,
  createTestDatabase,
  type SyntheticAnalysisRun,
} from "../helpers/synthetic-analysis-run";
import { syntheticTextFeatures } from "../helpers/synthetic-text-features";

const IMAGES = 96;
const CLUSTERS = 4;
const TEXT = { textDim: 12, tokens: 3 };

let db: Db;
let cleanup: () => Promise<void>;
let deps: WorkerDeps;
let run: SyntheticAnalysisRun;
let textFeatures: TextFeatureProvider;

beforeAll(async () => {
  let dataDir: string;
  ({ db, dataDir, cleanup } = await createTestDatabase("lens-search-"));
  run = await createSyntheticAnalysisRun({
    db,
    name: "searchable",
    images: IMAGES,
    clusters: CLUSTERS,
    sources: [
      { name: "depth:V", dim: 16, kind: "latent" },
      { name: "fused", dim: 16, kind: "latent" },
    ],
  });
  textFeatures = syntheticTextFeatures(run, TEXT);
  deps = {
    db,
    dataDir,
    inference: createInferenceClient({ url: "http://127.0.0.1:9", timeoutMs: 100 }),
    features: new LocalFeatureStore(dataDir),
    queue: new EmbeddedJobQueue(db),
    workerId: "test-worker",
    staleAfterMs: 60_000,
    textFeatures,
  };
});

afterAll(async () => {
  await cleanup?.();
});

describe("similar images", () => {
  it("answers the image itself at distance 0, then the exact cosine neighbours of its pooled vector", async () => {
    const imageId = run.imageIds[5] as string;
    const caller = callerOfWorkerDeps(deps);
    const answer = await caller.search.similarImages({ runId: run.runId, imageId, source: "fused", k: 8 });
    expect(answer.method).toBe("exact");
    expect(answer.indexed).toBe(IMAGES);
    expect(answer.hits).toHaveLength(9);
    expect(answer.hits[0]).toMatchObject({ imageId, distance: 0 });
    // The reference: every other image's cosine distance from the same fp16-decoded pooled vectors.
    const pooled = await loadPooledVectors({ db, runId: run.runId, source: "fused" });
    const row = pooled.imageIds.indexOf(imageId);
    const dot = (a: number, b: number) => {
      let sum = 0;
      let na = 0;
      let nb = 0;
      for (let j = 0; j < pooled.dim; j++) {
        const x = pooled.data[a * pooled.dim + j] as number;
        const y = pooled.data[b * pooled.dim + j] as number;
        sum += x * y;
        na += x * x;
        nb += y * y;
      }
      return 1 - sum / Math.sqrt(na * nb);
    };
    const expected = pooled.imageIds
      .map((id, i) => ({ id, distance: dot(row, i) }))
      .filter((e) => e.id !== imageId)
      .sort((a, b) => a.distance - b.distance)
      .slice(0, 8);
    answer.hits.slice(1).forEach((hit, i) => {
      expect(hit.imageId).toBe(expected[i]?.id);
      expect(hit.distance).toBeCloseTo(expected[i]?.distance as number, 5);
    });
    // The clusters are well apart: the neighbours are the image's own cluster.
    for (const hit of answer.hits)
      expect(run.clusterOf[run.imageIds.indexOf(hit.imageId)]).toBe(5 % CLUSTERS);
    // The index is cached: the second answer loads nothing.
    const again = await findSimilarImages({ db, runId: run.runId, imageId, source: "fused", k: 8 });
    expect(again.loadMs).toBe(0);
    expect(again.hits).toEqual(answer.hits);
  });

  it("rejects an unknown image or a source without vectors as NOT_FOUND", async () => {
    const caller = callerOfWorkerDeps(deps);
    await expect(
      caller.search.similarImages({ runId: run.runId, imageId: "nope", source: "fused" }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(
      caller.search.similarImages({
        runId: run.runId,
        imageId: run.imageIds[0] as string,
        source: "depth:V2",
      }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("search by text", () => {
  it("says there is no alignment analysis, then ranks images through the trained probe P", {
    timeout: 120_000,
  }, async () => {
    const phrase = run.captions[10] as string;
    const search = () =>
      searchByText({
        db,
        queue: deps.queue,
        textFeatures,
        runId: run.runId,
        source: "fused",
        text: phrase,
        k: 12,
      });
    expect(await search()).toMatchObject({ status: "no-alignment" });

    const caller = callerOfWorkerDeps(deps);
    const { jobId } = await caller.analysis.requestAlignment({
      runId: run.runId,
      batchSize: 16,
      seed: 1,
      steps: 200,
    });
    await processRequestedJob(deps, "alignment", jobId);
    // The charts' DTO leaves the probe weights on the server.
    expect(await caller.analysis.alignment({ runId: run.runId })).not.toHaveProperty("probes");

    const answer = await search();
    if (answer.status !== "ready") throw new Error(answer.reason);
    expect(answer.alignmentJobId).toBe(jobId);
    expect(answer.hits).toHaveLength(12);
    expect(answer.hits.map((h) => h.distance)).toEqual(
      [...answer.hits.map((h) => h.distance)].sort((a, b) => a - b),
    );
    // The reference ranking: the stored probe applied to every pooled vector, cosine to the phrase's mean feature.
    const stored = alignmentResultSchema.parse(
      (await deps.queue.latestCompleted("alignment", run.runId))?.result,
    );
    const probe = stored.probes?.find((p) => p.source === "fused");
    if (probe === undefined) throw new Error("no fused probe stored");
    const [inputDim, outputDim] = probe.dims;
    const weight = float32OfBase64(probe.weight);
    const bias = float32OfBase64(probe.bias);
    const pooled = await loadPooledVectors({ db, runId: run.runId, source: "fused" });
    const [features] = await textFeatures.embed([phrase]);
    const query = meanOfPatchTokens(features as Tensor<Float32Array>);
    const expected = pooled.imageIds
      .map((imageId, i) => {
        const mapped = Float64Array.from(bias);
        for (let a = 0; a < inputDim; a++)
          for (let o = 0; o < outputDim; o++)
            mapped[o] =
              (mapped[o] as number) +
              (pooled.data[i * inputDim + a] as number) * (weight[a * outputDim + o] as number);
        let dot = 0;
        let nm = 0;
        let nq = 0;
        mapped.forEach((m, o) => {
          dot += m * (query[o] as number);
          nm += m * m;
          nq += (query[o] as number) ** 2;
        });
        return { imageId, distance: 1 - dot / Math.sqrt(nm * nq) };
      })
      .sort((x, y) => x.distance - y.distance)
      .slice(0, 12);
    answer.hits.forEach((hit, i) => {
      expect(hit.imageId).toBe(expected[i]?.imageId);
      expect(hit.distance).toBeCloseTo(expected[i]?.distance as number, 5);
    });
    // The phrase is image 10's caption: its cluster's images lead the ranking.
    const wanted = run.clusterOf[10];
    const sameCluster = answer.hits.filter((h) => run.clusterOf[run.imageIds.indexOf(h.imageId)] === wanted);
    expect(sameCluster.length).toBeGreaterThanOrEqual(10);
  });
});
