import type { SourceFeatures } from "~/server/features/feature-file";
import type { FeatureStore } from "~/server/features/feature-store";
import type { InferenceClient } from "~/server/services/inference-client";
import { type RunSettings, runSettingsSchema } from "~/server/services/runs/run-settings";
import { markRunStarted } from "~/server/services/runs/run-status";
import { readStoredFile } from "~/server/store/content-store";
import type { Db } from "~/server/store/db";
import { withRetries } from "./with-retries";

type EncodeResults = Awaited<ReturnType<InferenceClient["encode"]["mutate"]>>;
type EncodedResult = Extract<EncodeResults[number], { ok: true }>;

// An unreachable inference server is retried this many times (with growing pauses) before the run fails.
const INFERENCE_ATTEMPTS = 4;

export interface RunCounts {
  done: number;
  failed: number;
  total: number;
}

export interface EncodeRunOptions {
  db: Db;
  dataDir: string;
  inference: InferenceClient;
  features: FeatureStore;
  runId: string;
  /** Checked between batches; true stops the run (the job lifecycle records it as cancelled). */
  isCancelled: () => Promise<boolean>;
  /** Called after every batch. */
  onProgress: (counts: RunCounts) => void;
  /** Called with how many images a batch finished (stored or failed): the worker's images/s. */
  onImagesFinished?: (count: number) => void;
}

/**
 * Encodes the images of a run that are not stored yet, batch by batch: feature file first (atomic), then the
 * image's rows in one transaction. A killed worker therefore loses at most its batch in flight, and running this
 * again finishes the run without duplicates.
 */
export async function encodeRun(options: EncodeRunOptions): Promise<void> {
  const { db, runId } = options;
  const { run, todo, total } = await runTodo(db, runId);
  await markRunStarted({ db, runId, total });
  for (let start = 0; start < todo.length; start += run.batchSize) {
    if (await options.isCancelled()) return;
    await encodeItems(options, run, todo.slice(start, start + run.batchSize));
    options.onProgress(await refreshCounts(db, runId));
  }
  await refreshCounts(db, runId);
}

/**
 * The run and its images in dataset order that have no outcome stored yet; with `imageIds`, only those of them (one
 * fanned-out batch reads its own rows, not the whole dataset's).
 */
export async function runTodo(db: Db, runId: string, imageIds?: readonly string[]) {
  const run = await db.run.findUniqueOrThrow({ where: { id: runId } });
  const only = imageIds === undefined ? {} : { imageId: { in: [...imageIds] } };
  const items = await db.datasetItem.findMany({
    where: { datasetId: run.datasetId, ...only },
    orderBy: { position: "asc" },
    include: { image: true },
  });
  const stored = new Set(
    (await db.runImage.findMany({ where: { runId, ...only }, select: { imageId: true } })).map(
      (r) => r.imageId,
    ),
  );
  return { run, todo: items.filter((item) => !stored.has(item.imageId)), total: items.length };
}

/**
 * Encodes the given images of a run (one fanned-out batch) that are not stored yet, then refreshes the run's
 * counts. Idempotent: a batch redone after its worker died replaces what it had written, nothing twice.
 */
export async function encodeRunImages(
  options: Omit<EncodeRunOptions, "isCancelled" | "onProgress"> & { imageIds: readonly string[] },
): Promise<RunCounts> {
  const { run, todo } = await runTodo(options.db, options.runId, options.imageIds);
  await encodeItems(options, run, todo);
  return refreshCounts(options.db, options.runId);
}

type RunRow = Awaited<ReturnType<typeof runTodo>>["run"];
type TodoItem = Awaited<ReturnType<typeof runTodo>>["todo"][number];

async function encodeItems(
  options: Omit<EncodeRunOptions, "isCancelled" | "onProgress">,
  run: RunRow,
  batch: TodoItem[],
): Promise<void> {
  const { db, runId } = options;
  const unreadable = batch.filter((item) => item.image.problem !== null);
  for (const item of unreadable)
    await recordFailure(db, runId, item.imageId, item.image.problem ?? "unreadable");
  const readable = batch.filter((item) => item.image.problem === null);
  if (readable.length > 0) await encodeReadable(options, run, readable);
  options.onImagesFinished?.(batch.length);
}

async function encodeReadable(
  options: Omit<EncodeRunOptions, "isCancelled" | "onProgress">,
  run: RunRow,
  readable: TodoItem[],
): Promise<void> {
  const { db, runId } = options;
  const settings = runSettingsSchema.parse(run);
  const images = await Promise.all(
    readable.map(async (item) => ({
      name: item.imageId,
      bytes: new Uint8Array(await readStoredFile(options.dataDir, item.image.storagePath)),
    })),
  );
  const results = await withRetries(INFERENCE_ATTEMPTS, () =>
    options.inference.encode.mutate({
      // The run's own model: the inference server may serve several (loading this one if it is not).
      model: run.modelDir,
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

/** Records an image of a run as failed with its reason (also a poison image parked by a fanned-out run). */
export async function recordFailure(db: Db, runId: string, imageId: string, reason: string): Promise<void> {
  await db.runImage.upsert({
    where: { runId_imageId: { runId, imageId } },
    create: { runId, imageId, status: "failed", error: reason },
    update: { status: "failed", error: reason },
  });
}

async function recordSuccess(
  options: Omit<EncodeRunOptions, "isCancelled" | "onProgress">,
  image: { runId: string; imageId: string; imageSha256: string; fingerprint: string },
  result: EncodedResult,
  settings: RunSettings,
): Promise<void> {
  const sources: Record<string, SourceFeatures> = {};
  for (const source of settings.sources) {
    const feature = result.features.sources[source];
    if (feature !== undefined) sources[source] = feature;
  }
  const { file, pooled } = await options.features.writeImage({
    runId: image.runId,
    imageSha256: image.imageSha256,
    model: image.fingerprint,
    dtype: settings.dtype,
    sources,
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
      data: pooled.map((p) => ({ runId: image.runId, imageId: image.imageId, ...p })),
    });
  });
}

export async function refreshCounts(db: Db, runId: string): Promise<RunCounts> {
  const [done, failed, run] = await Promise.all([
    db.runImage.count({ where: { runId, status: "done" } }),
    db.runImage.count({ where: { runId, status: "failed" } }),
    db.run.findUniqueOrThrow({ where: { id: runId }, select: { total: true } }),
  ]);
  await db.run.update({ where: { id: runId }, data: { done, failed } });
  return { done, failed, total: run.total };
}
