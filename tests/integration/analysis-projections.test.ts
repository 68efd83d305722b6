import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { float32OfBytes as decodeCoords } from "~/lib/codec/base64";
import { LocalFeatureStore } from "~/server/features/feature-store";
import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";
import type { JobKind, JobPayload } from "~/server/jobs/job-kinds";
import type { EnqueueOptions } from "~/server/jobs/job-queue";
import { runWorker, type WorkerDeps } from "~/server/jobs/run-worker";
import { ComputeCancelledError, runInComputeThread } from "~/server/services/analysis/compute-thread";
import { getJob } from "~/server/services/analysis/get-job";
import { getProjections } from "~/server/services/analysis/get-projections";
import { requestPatchProjection, requestProjections } from "~/server/services/analysis/request-projections";
import { createInferenceClient } from "~/server/services/inference-client";
import type { Db } from "~/server/store/db";
import { callerOfWorkerDeps } from "../helpers/api-context";
import { processRequestedJob } from "../helpers/process-requested-job";
import { waitUntil } from "../helpers/processes";
import {
  createSyntheticAnalysisRun,
  createTestDatabase,
  type SyntheticAnalysisRun,
  writeSyntheticFeatureFiles,
} from "../helpers/synthetic-analysis-run";

// Small inputs: this machine's two cores are shared with model training.
const IMAGES = 120;
const UMAP = { nNeighbors: 10, minDist: 0.1, seed: 3, nEpochs: 120 };

/** A queue that remembers every progress value its jobs reported, and the job each enqueue of a kind gave. */
class RecordingQueue extends EmbeddedJobQueue {
  readonly progress: { jobId: string; done: number; total: number }[] = [];
  readonly enqueued: { kind: JobKind; jobId: string }[] = [];
  override async enqueue<K extends JobKind>(
    kind: K,
    payload: JobPayload<K>,
    options?: EnqueueOptions,
  ): Promise<string> {
    const jobId = await super.enqueue(kind, payload, options);
    this.enqueued.push({ kind, jobId });
    return jobId;
  }
  override async heartbeat(jobId: string, workerId: string, progress?: { done: number; total: number }) {
    if (progress) this.progress.push({ jobId, ...progress });
    await super.heartbeat(jobId, workerId, progress);
  }
}

let db: Db;
let dataDir: string;
let cleanup: () => Promise<void>;
let queue: RecordingQueue;
let deps: WorkerDeps;
let run: SyntheticAnalysisRun;

beforeAll(async () => {
  ({ db, dataDir, cleanup } = await createTestDatabase("lens-projections-"));
  queue = new RecordingQueue(db);
  deps = {
    db,
    dataDir,
    // Projection jobs never call the inference server.
    inference: createInferenceClient({ url: "http://127.0.0.1:9", timeoutMs: 100 }),
    features: new LocalFeatureStore(dataDir),
    queue,
    workerId: "test-worker",
    staleAfterMs: 60_000,
  };
  run = await createSyntheticAnalysisRun({
    db,
    name: "clusters",
    images: IMAGES,
    clusters: 4,
    sources: [
      { name: "depth:V", dim: 24, kind: "latent" },
      { name: "breadth:<OCR>", dim: 16, kind: "latent" },
      { name: "fused", dim: 20, kind: "latent" },
    ],
  });
});

afterAll(async () => {
  await cleanup?.();
});

function rmsd(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(sum / (a.length / 2));
}

function fromBase64(text: string): Float32Array {
  return decodeCoords(new Uint8Array(Buffer.from(text, "base64")));
}

describe("projection jobs", () => {
  it("compute UMAP panels as a job with progress, then serve them cached, aligned and scored", {
    timeout: 120_000,
  }, async () => {
    const request = {
      db,
      queue,
      runId: run.runId,
      sources: ["depth:V", "breadth:<OCR>"],
      method: "umap" as const,
      params: UMAP,
      referenceSource: "depth:V",
    };
    const first = await requestProjections(request);
    expect(first.status).toBe("pending");
    if (first.status !== "pending") return;
    // Asking again while it is queued joins the same job.
    expect(await requestProjections(request)).toEqual({ status: "pending", jobId: first.jobId });
    expect(await getJob({ queue, jobId: first.jobId })).toMatchObject({ status: "queued", fraction: 0 });

    await processRequestedJob(deps, "projection", first.jobId);
    const job = await getJob({ queue, jobId: first.jobId });
    expect(job).toMatchObject({ kind: "projection", status: "completed", fraction: 1, error: null });
    const reported = queue.progress.filter((p) => p.jobId === first.jobId);
    expect(reported.some((p) => p.done > 0 && p.done < p.total)).toBe(true);
    expect(reported.at(-1)).toMatchObject({ done: 1000, total: 1000 });
    const stored = await queue.get(first.jobId);
    expect((stored?.result as { projectionIds: string[] } | undefined)?.projectionIds).toHaveLength(2);

    const ready = await requestProjections(request);
    expect(ready.status).toBe("ready");
    if (ready.status !== "ready") return;
    const [reference, moving] = ready.panels;
    if (reference === undefined || moving === undefined) throw new Error("two panels expected");
    expect(reference).toMatchObject({ source: "depth:V", method: "umap", isReference: true });
    expect(moving).toMatchObject({ source: "breadth:<OCR>", isReference: false });
    expect(reference.imageIds).toEqual(run.imageIds);
    expect(fromBase64(reference.coords)).toHaveLength(IMAGES * 2);
    // Quality is stored with each projection: clustered data lays out trustworthily.
    for (const panel of ready.panels) {
      expect(panel.quality?.k).toBe(10);
      expect(panel.quality?.queries).toBe(IMAGES);
      expect(panel.quality?.trustworthiness).toBeGreaterThan(0.8);
      expect(panel.quality?.trustworthiness).toBeLessThanOrEqual(1);
      expect(panel.quality?.knnRecall).toBeGreaterThan(0.2);
    }

    // Cached: the same request gives the same bytes, and no new job.
    const again = await requestProjections(request);
    expect(again).toEqual(ready);
    const projectionJobs = new Set(queue.enqueued.filter((e) => e.kind === "projection").map((e) => e.jobId));
    expect(projectionJobs.size).toBe(1);

    // The reference is returned as computed; the other panel is Procrustes-aligned onto it.
    const rows = await db.projection.findMany({ where: { runId: run.runId } });
    const raw = (id: string) => decodeCoords(rows.find((r) => r.id === id)?.coords ?? new Uint8Array());
    expect(fromBase64(reference.coords)).toEqual(raw(reference.projectionId));
    const aligned = fromBase64(moving.coords);
    const referenceCoords = raw(reference.projectionId);
    expect(rmsd(aligned, referenceCoords)).toBeLessThan(rmsd(raw(moving.projectionId), referenceCoords));

    // Either panel can be the reference: reading by ids realigns at read time, storage stays canonical.
    const flipped = await getProjections({
      db,
      projectionIds: [reference.projectionId, moving.projectionId],
      referenceProjectionId: moving.projectionId,
    });
    expect(fromBase64(flipped.panels[1]?.coords ?? "")).toEqual(raw(moving.projectionId));
    expect(flipped.panels[0]?.isReference).toBe(false);
  });

  it("are reproducible: the same seed gives the same coordinates, another seed others", {
    timeout: 120_000,
  }, async () => {
    const request = {
      db,
      queue,
      runId: run.runId,
      sources: ["fused"],
      method: "umap" as const,
      params: UMAP,
    };
    const compute = async (params: typeof UMAP) => {
      const pending = await requestProjections({ ...request, params });
      if (pending.status !== "pending") throw new Error("expected a job");
      await processRequestedJob(deps, "projection", pending.jobId);
      const ready = await requestProjections({ ...request, params });
      if (ready.status !== "ready") throw new Error("expected panels");
      return ready.panels[0];
    };
    const first = await compute(UMAP);
    await db.projection.deleteMany({ where: { id: first?.projectionId } });
    const recomputed = await compute(UMAP);
    expect(recomputed?.projectionId).not.toBe(first?.projectionId);
    expect(recomputed?.coords).toBe(first?.coords);
    const otherSeed = await compute({ ...UMAP, seed: 4 });
    expect(otherSeed?.coords).not.toBe(first?.coords);
  });

  it("run PCA through the worker loop, and through the router", { timeout: 60_000 }, async () => {
    const controller = new AbortController();
    const worker = runWorker(deps, { pollMs: 50, signal: controller.signal });
    try {
      const caller = callerOfWorkerDeps(deps);
      const input = { runId: run.runId, sources: ["depth:V", "fused"], method: "pca" as const };
      const pending = await caller.analysis.requestProjections(input);
      expect(pending.status).toBe("pending");
      if (pending.status !== "pending") return;
      await waitUntil(
        async () => (await caller.analysis.job({ jobId: pending.jobId })).status === "completed",
        30_000,
        "the PCA job",
      );
      const ready = await caller.analysis.requestProjections(input);
      if (ready.status !== "ready") throw new Error("expected panels");
      expect(ready.panels.map((p) => p.params)).toEqual([{ components: 2 }, { components: 2 }]);
      const byId = await caller.analysis.projections({
        projectionIds: ready.panels.map((p) => p.projectionId),
      });
      expect(byId.panels).toEqual(ready.panels);
      // PCA ignores the UMAP knobs: other neighbours or seed hit the same cache rows.
      const other = await caller.analysis.requestProjections({
        ...input,
        params: { nNeighbors: 30, minDist: 0.5, seed: 9 },
      });
      expect(other).toEqual(ready);
    } finally {
      controller.abort();
      await worker;
    }
  });

  it("refuse what cannot be laid out", async () => {
    const base = { db, queue, runId: run.runId, method: "umap" as const, params: UMAP };
    await expect(requestProjections({ ...base, sources: ["depth:stage1"] })).rejects.toThrow(
      /keeps no source/,
    );
    await expect(
      requestProjections({ ...base, sources: ["fused"], params: { ...UMAP, nNeighbors: IMAGES } }),
    ).rejects.toThrow(/needs at least/);
    await expect(
      requestProjections({ ...base, sources: ["fused"], referenceSource: "depth:V" }),
    ).rejects.toThrow(/not among the panels/);
    await expect(requestProjections({ ...base, runId: "nope", sources: ["fused"] })).rejects.toThrow(
      /No run/,
    );
  });

  it("lay out every patch token of chosen images (pooled token dropped), cached the same way", {
    timeout: 60_000,
  }, async () => {
    const chosen = run.imageIds.slice(0, 4);
    await writeSyntheticFeatureFiles({
      db,
      dataDir,
      runId: run.runId,
      imageIds: chosen,
      source: "depth:V",
      grid: [4, 5],
      dim: 8,
    });
    const request = {
      db,
      queue,
      runId: run.runId,
      source: "depth:V",
      imageIds: chosen,
      method: "umap" as const,
      params: { nNeighbors: 8, minDist: 0.1, seed: 1, nEpochs: 100 },
    };
    const pending = await requestPatchProjection(request);
    if (pending.status !== "pending") throw new Error("expected a job");
    await processRequestedJob(deps, "projection", pending.jobId);
    const ready = await requestPatchProjection(request);
    if (ready.status !== "ready") throw new Error("expected a panel");
    const { panel } = ready;
    expect(panel.images).toEqual(
      chosen.map((imageId, i) => ({ imageId, grid: [4, 5], start: 20 * i, count: 20 })),
    );
    const coords = fromBase64(panel.coords);
    expect(coords).toHaveLength(4 * 20 * 2);
    expect(coords.every(Number.isFinite)).toBe(true);
    expect(panel.quality?.trustworthiness).toBeGreaterThan(0.5);
    expect(await requestPatchProjection(request)).toEqual(ready);

    await expect(
      requestPatchProjection({ ...request, imageIds: [run.imageIds[10] as string] }),
    ).rejects.toThrow(/no stored features/);
    await expect(
      requestPatchProjection({ ...request, imageIds: Array.from({ length: 65 }, (_, i) => `img${i}`) }),
    ).rejects.toThrow(/at most 64/);
  });

  it("stop at once when cancelled: queued jobs, and computations in flight", {
    timeout: 60_000,
  }, async () => {
    const pending = await requestProjections({
      db,
      queue,
      runId: run.runId,
      sources: ["breadth:<OCR>"],
      method: "umap",
      params: { ...UMAP, seed: 77 },
    });
    if (pending.status !== "pending") throw new Error("expected a job");
    const caller = callerOfWorkerDeps(deps);
    await caller.analysis.cancelJob({ jobId: pending.jobId });
    expect((await getJob({ queue, jobId: pending.jobId })).status).toBe("cancelled");
    expect(await queue.claim({ workerId: "w", kinds: ["projection"], staleAfterMs: 60_000 })).toBeNull();

    // A computation in flight is abandoned as soon as it is aborted; the thread stops at its next progress step.
    // The abort lands inside the HNSW index build (native code): terminating the thread there used to abort the
    // whole process, so the test also waits for the thread to wind down.
    const controller = new AbortController();
    const features = new Float32Array(2000 * 16).map((_, i) => (Math.sin(i * 12.9898) * 43758.5453) % 1);
    const started = Date.now();
    const work = runInComputeThread(
      {
        kind: "projection",
        method: "umap",
        features: { data: features, dims: [2000, 16] },
        umap: { nNeighbors: 15, minDist: 0.1, seed: 0, epochs: 2000 },
      },
      {
        signal: controller.signal,
        onProgress: () => controller.abort(),
      },
    );
    await expect(work).rejects.toBeInstanceOf(ComputeCancelledError);
    expect(Date.now() - started).toBeLessThan(20_000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  });
});
