import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppError } from "~/server/app-error";
import { LocalFeatureStore } from "~/server/features/feature-store";
import type { JobQueue } from "~/server/jobs/job-queue";
import { createDatasetFromFiles } from "~/server/services/datasets/create-dataset-from-files";
import { deleteDataset, describeDatasetDeletion } from "~/server/services/datasets/delete-dataset";
import { getDataset } from "~/server/services/datasets/get-dataset";
import { deleteRun, describeRunDeletion } from "~/server/services/runs/delete-run";
import { createRunWithJob, markRunEnded, markRunStarted } from "~/server/services/runs/run-status";
import { ensureDataDir } from "~/server/store/data-dir";
import { createDb, type Db } from "~/server/store/db";
import { createMigratedDatabase, type TestDatabase } from "../helpers/test-database";
import { freshQueuePrefix, openTestQueue } from "../helpers/test-queue";

let dir: string;
let dataDir: string;
let db: Db;
let database: TestDatabase;
let queue: JobQueue;
let features: LocalFeatureStore;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "lens-delete-"));
  dataDir = path.join(dir, "data");
  await ensureDataDir(dataDir);
  database = await createMigratedDatabase(dataDir);
  db = createDb(database.url);
  queue = openTestQueue(db, { prefix: freshQueuePrefix() });
  features = new LocalFeatureStore(dataDir);
});

afterAll(async () => {
  await queue?.close();
  await db.$disconnect();
  await database?.drop();
  await fs.rm(dir, { recursive: true, force: true });
});

async function png(seed: number): Promise<Uint8Array> {
  const rgb = { r: (seed * 53) % 256, g: (seed * 97) % 256, b: (seed * 193) % 256 };
  return new Uint8Array(
    await sharp({ create: { width: 32, height: 24, channels: 3, background: rgb } })
      .png()
      .toBuffer(),
  );
}

/** Every file under DATA_DIR/<sub>, relative to DATA_DIR. */
async function filesUnder(sub: string): Promise<string[]> {
  const root = path.join(dataDir, sub);
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(dataDir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** A finished run on a dataset: its job completed, a feature file and a pooled vector per readable image. */
async function finishedRun(datasetId: string, name: string): Promise<string> {
  const items = await db.datasetItem.findMany({ where: { datasetId }, include: { image: true } });
  const run = await createRunWithJob({
    db,
    queue,
    run: {
      name,
      datasetId,
      modelDir: "models/florence-vl-mini",
      modelHash: "test",
      prompts: [],
      sources: ["depth:V"],
      questions: [],
      dtype: "fp16",
      batchSize: 4,
      total: items.length,
    },
  });
  const claimed = await queue.claim({ workerId: "t", kinds: ["encode-run"], staleAfterMs: 60_000 });
  expect(claimed?.id).toBe(run.jobId);
  await markRunStarted({ db, runId: run.id, total: items.length });
  for (const item of items) {
    const tensor = { data: Float32Array.from({ length: 5 * 3 }, (_, i) => i + item.position), dims: [5, 3] };
    const written = await features.writeImage({
      runId: run.id,
      imageSha256: item.image.sha256,
      model: "test",
      dtype: "fp16",
      sources: { "depth:V": { tensor, grid: [2, 2], hasPooledToken: true } },
    });
    await db.runImage.create({
      data: {
        runId: run.id,
        imageId: item.imageId,
        status: "done",
        featureFile: written.file.path,
        featureSha256: written.file.sha256,
      },
    });
    for (const pooled of written.pooled) {
      await db.pooledFeature.create({
        data: {
          runId: run.id,
          imageId: item.imageId,
          source: pooled.source,
          dim: pooled.dim,
          dtype: pooled.dtype,
          data: pooled.data,
        },
      });
    }
  }
  await queue.complete(run.jobId);
  await markRunEnded({ db, runId: run.id, outcome: "completed", error: null });
  return run.id;
}

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe("deleting runs and datasets", () => {
  it("keeps the images another dataset holds and removes the rest with the runs' files", async () => {
    const [one, two, three, four] = await Promise.all([png(1), png(2), png(3), png(4)]);
    if (!one || !two || !three || !four) throw new Error("fixtures");
    const first = await createDatasetFromFiles({
      db,
      dataDir,
      name: "first",
      files: [
        { name: "one.png", bytes: one },
        { name: "two.png", bytes: two },
        { name: "three.png", bytes: three },
        { name: "broken.png", bytes: new TextEncoder().encode("not an image") },
      ],
    });
    const second = await createDatasetFromFiles({
      db,
      dataDir,
      name: "second",
      files: [
        { name: "two-again.png", bytes: two },
        { name: "three-again.png", bytes: three },
        { name: "four.png", bytes: four },
      ],
    });
    expect(await filesUnder("images")).toHaveLength(5);
    expect(await filesUnder("thumbnails")).toHaveLength(4);
    const detail = await getDataset({ db, datasetId: first.dataset.id });
    expect(detail).toMatchObject({ itemCount: 4, imageCount: 3 });
    expect(detail.problems.map((p) => p.fileName)).toEqual(["broken.png"]);

    const firstRun = await finishedRun(first.dataset.id, "run on first");
    const secondRun = await finishedRun(second.dataset.id, "run on second");
    expect(await filesUnder(`features/${firstRun}`)).toHaveLength(4);
    const secondRunFiles = await filesUnder(`features/${secondRun}`);

    expect(await describeRunDeletion({ db, runId: firstRun })).toMatchObject({
      name: "run on first",
      datasetName: "first",
      results: 4,
      featureFiles: 4,
    });
    const deletion = await describeDatasetDeletion({ db, datasetId: first.dataset.id });
    expect(deletion).toMatchObject({
      name: "first",
      items: 4,
      runs: [{ id: firstRun, name: "run on first" }],
      imagesRemoved: 2,
      imagesKept: 2,
    });

    const deleted = await deleteDataset({ db, queue, features, dataDir, datasetId: first.dataset.id });
    expect(deleted.removedImageFiles).toBe(3); // one.png and its thumbnail, broken.png (no thumbnail)
    expect(await db.dataset.count({ where: { id: first.dataset.id } })).toBe(0);
    expect(await db.run.count({ where: { id: firstRun } })).toBe(0);
    expect(await db.runImage.count({ where: { runId: firstRun } })).toBe(0);
    expect(await queue.latestCompleted("encode-run", firstRun)).toBeNull();
    await expect(fs.stat(path.join(dataDir, "features", firstRun))).rejects.toThrow();
    // The second dataset's images (two of them shared with the first), files and run are all still there.
    expect(await filesUnder("images")).toHaveLength(3);
    expect(await filesUnder("thumbnails")).toHaveLength(3);
    expect(await filesUnder(`features/${secondRun}`)).toEqual(secondRunFiles);
    for (const image of await db.image.findMany()) {
      await fs.access(path.join(dataDir, image.storagePath));
      if (image.thumbnailPath !== null) await fs.access(path.join(dataDir, image.thumbnailPath));
    }
    expect(await db.datasetItem.count({ where: { datasetId: second.dataset.id } })).toBe(3);

    // Deleting the run keeps the dataset's images; deleting the dataset then empties the data folder.
    const runDeleted = await deleteRun({ db, queue, features, dataDir, runId: secondRun });
    expect(runDeleted.removedFeatureFiles).toBe(3);
    expect(await filesUnder("images")).toHaveLength(3);
    expect(await filesUnder("features")).toEqual([]);
    await deleteDataset({ db, queue, features, dataDir, datasetId: second.dataset.id });
    expect(await filesUnder("images")).toEqual([]);
    expect(await filesUnder("thumbnails")).toEqual([]);
    expect(await db.image.count()).toBe(0);
  });

  it("refuses to delete a run that is queued, and the dataset it is on, until it is cancelled", async () => {
    const image = await png(9);
    const dataset = await createDatasetFromFiles({
      db,
      dataDir,
      name: "busy",
      files: [{ name: "nine.png", bytes: image }],
    });
    const run = await createRunWithJob({
      db,
      queue,
      run: {
        name: "busy run",
        datasetId: dataset.dataset.id,
        modelDir: "m",
        modelHash: "h",
        prompts: [],
        sources: ["depth:V"],
        questions: [],
        dtype: "fp16",
        batchSize: 1,
        total: 1,
      },
    });
    const runError = await rejection(deleteRun({ db, queue, features, dataDir, runId: run.id }));
    expect(runError.code).toBe("CONFLICT");
    expect(runError.message).toMatch(/"busy run" is queued; cancel it/);
    const datasetError = await rejection(
      deleteDataset({ db, queue, features, dataDir, datasetId: dataset.dataset.id }),
    );
    expect(datasetError.message).toMatch(/"busy run" on this dataset is queued/);
    expect(await db.image.count()).toBe(1);
    expect((await rejection(describeRunDeletion({ db, runId: "nope" }))).code).toBe("NOT_FOUND");
    expect((await rejection(getDataset({ db, datasetId: "nope" }))).code).toBe("NOT_FOUND");
  });
});
