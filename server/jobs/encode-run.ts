import type { SafetensorsTensor } from "~/lib/codec";
import { fp32ToFp16 } from "~/lib/tensor";
import type { InferenceClient } from "~/server/services/inference-client";
import { runSettingsSchema } from "~/server/services/runs/run-settings";
import { readStoredFile } from "~/server/store/content-store";
import type { Db } from "~/server/store/db";
import type { FeatureStore } from "~/server/store/feature-store";

type EncodeResults = Awaited<ReturnType<InferenceClient["encode"]["mutate"]>>;
type EncodedResult = Extract<EncodeResults[number], { ok: true }>;

// An unreachable inference server is retried this many times (with growing pauses) before the run fails.
const INFERENCE_ATTEMPTS = 4;

export interface EncodeRunOptions {
  db: Db;
  dataDir: string;
  inference: InferenceClient;
  features: FeatureStore;
  runId: string;
  /** Checked between batches; true stops the run as cancelled. */
  isCancelled: () => Promise<boolean>;
  /** Called after every batch (heartbeat and progress). */
  onProgress: (progress: { done: number; failed: number; total: number }) => Promise<void>;
}

/**
 * Encodes the images of a run that are not stored yet, batch by batch: feature file first (atomic), then the
 * image's rows in one transaction. A killed worker therefore loses at most its batch in flight, and running this
 * again finishes the run without duplicates.
 */
export async function encodeRun(options: EncodeRunOptions): Promise<"completed" | "cancelled"> {
  const { db, runId } = options;
  const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
  const settings = runSettingsSchema.parse({
    prompts: run.prompts,
    sources: run.sources,
    questions: run.questions,
    dtype: run.dtype,
  });
  const items = await db.datasetItem.findMany({
    where: { datasetId: run.datasetId },
    orderBy: { position: "asc" },
    include: { image: true },
  });
  const stored = new Set(
    (await db.runImage.findMany({ where: { runId }, select: { imageId: true } })).map((r) => r.imageId),
  );
  const todo = items.filter((item) => !stored.has(item.imageId));
  await db.run.update({
    where: { id: runId },
    data: { status: "running", total: items.length, startedAt: run.startedAt ?? new Date(), error: null },
  });

  for (let start = 0; start < todo.length; start += run.batchSize) {
    if (await options.isCancelled()) {
      await db.run.update({ where: { id: runId }, data: { status: "cancelled" } });
      return "cancelled";
    }
    const batch = todo.slice(start, start + run.batchSize);
    const unreadable = batch.filter((item) => item.image.problem !== null);
    for (const item of unreadable)
      await recordFailure(db, runId, item.imageId, item.image.problem ?? "unreadable");
    const readable = batch.filter((item) => item.image.problem === null);
    if (readable.length > 0) {
      const images = await Promise.all(
        readable.map(async (item) => ({
          name: item.imageId,
          bytes: new Uint8Array(await readStoredFile(options.dataDir, item.image.storagePath)),
        })),
      );
      const results = await withRetries(() =>
        options.inference.encode.mutate({
          images,
          prompts: settings.prompts,
          includeStages: settings.sources.some((s) => s.startsWith("depth:stage")),
          includeTaskAnswers: true,
          questions: settings.questions,
        }),
      );
      for (const [i, result] of results.entries()) {
        const item = readable[i];
        if (item === undefined) continue;
        if (!result.ok) await recordFailure(db, runId, item.imageId, result.message);
        else
          await recordSuccess(
            options,
            { runId, imageId: item.imageId, imageSha256: item.image.sha256, fingerprint: run.modelHash },
            result,
            settings,
          );
      }
    }
    await options.onProgress(await refreshCounts(db, runId));
  }
  await refreshCounts(db, runId);
  await db.run.update({ where: { id: runId }, data: { status: "completed", finishedAt: new Date() } });
  return "completed";
}

async function withRetries<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= INFERENCE_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    }
  }
}

async function recordFailure(db: Db, runId: string, imageId: string, reason: string): Promise<void> {
  await db.runImage.upsert({
    where: { runId_imageId: { runId, imageId } },
    create: { runId, imageId, status: "failed", error: reason },
    update: { status: "failed", error: reason },
  });
}

async function recordSuccess(
  options: EncodeRunOptions,
  image: { runId: string; imageId: string; imageSha256: string; fingerprint: string },
  result: EncodedResult,
  settings: ReturnType<typeof runSettingsSchema.parse>,
): Promise<void> {
  const tensors: Record<string, SafetensorsTensor> = {};
  const pooled: { source: string; dim: number; data: Uint8Array<ArrayBuffer> }[] = [];
  const geometry: Record<string, { grid: [number, number]; hasPooledToken: boolean }> = {};
  for (const source of settings.sources) {
    const feature = result.features.sources[source];
    if (feature === undefined) continue;
    const [tokens = 0, dim = 0] = feature.tensor.dims;
    tensors[source] =
      settings.dtype === "fp16"
        ? { dtype: "F16", shape: [tokens, dim], data: fp32ToFp16(feature.tensor.data) }
        : { dtype: "F32", shape: [tokens, dim], data: feature.tensor.data };
    geometry[source] = { grid: feature.grid, hasPooledToken: feature.hasPooledToken };
    const mean = meanOfPatches(feature.tensor.data, tokens, dim, feature.hasPooledToken);
    const bytes = settings.dtype === "fp16" ? fp32ToFp16(mean) : mean;
    const data = new Uint8Array(bytes.byteLength);
    data.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    pooled.push({ source, dim, data });
  }
  const file = await options.features.write({
    runId: image.runId,
    imageSha256: image.imageSha256,
    tensors,
    metadata: {
      run: image.runId,
      image_sha256: image.imageSha256,
      model: image.fingerprint,
      geometry: JSON.stringify(geometry),
    },
  });
  await options.db.$transaction(async (tx) => {
    // A resumed batch may contain an image whose rows landed just before the worker died: replace them.
    await tx.runImage.deleteMany({ where: { runId: image.runId, imageId: image.imageId } });
    await tx.pooledFeature.deleteMany({ where: { runId: image.runId, imageId: image.imageId } });
    await tx.runImage.create({
      data: {
        runId: image.runId,
        imageId: image.imageId,
        status: "done",
        featureFile: file.path,
        featureSha256: file.sha256,
        timings: result.timingsMs,
        answers: {
          create: [
            ...result.tasks.map((task) => ({
              kind: "task",
              prompt: task.task,
              text: task.text,
              boxes: task.boxes.length > 0 ? task.boxes : task.quads.length > 0 ? task.quads : undefined,
            })),
            ...result.answers.map((answer) => ({
              kind: "question",
              prompt: answer.question,
              text: answer.text,
            })),
          ],
        },
      },
    });
    await tx.pooledFeature.createMany({
      data: pooled.map((p) => ({
        runId: image.runId,
        imageId: image.imageId,
        source: p.source,
        dim: p.dim,
        dtype: settings.dtype,
        data: p.data,
      })),
    });
  });
}

/** Mean over the grid's patch tokens (the pooled token, when there is one, is left out). */
function meanOfPatches(
  data: Float32Array,
  tokens: number,
  dim: number,
  hasPooledToken: boolean,
): Float32Array {
  const first = hasPooledToken ? 1 : 0;
  const sum = new Float64Array(dim);
  for (let t = first; t < tokens; t++)
    for (let j = 0; j < dim; j++) sum[j] = (sum[j] ?? 0) + (data[t * dim + j] ?? 0);
  return Float32Array.from(sum, (v) => v / Math.max(1, tokens - first));
}

async function refreshCounts(
  db: Db,
  runId: string,
): Promise<{ done: number; failed: number; total: number }> {
  const [done, failed, run] = await Promise.all([
    db.runImage.count({ where: { runId, status: "done" } }),
    db.runImage.count({ where: { runId, status: "failed" } }),
    db.run.findUniqueOrThrow({ where: { id: runId }, select: { total: true } }),
  ]);
  await db.run.update({ where: { id: runId }, data: { done, failed } });
  return { done, failed, total: run.total };
}
