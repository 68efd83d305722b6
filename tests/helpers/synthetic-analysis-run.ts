import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fp32ToFp16 } from "~/lib/tensor";
import { LocalFeatureStore } from "~/server/features/feature-store";
import { ensureDataDir } from "~/server/store/data-dir";
import { createDb, type Db } from "~/server/store/db";
import { createMigratedDatabase } from "./test-database";

/** A migrated database (SQLite, or PostgreSQL with TEST_POSTGRES_URL) with a fresh temporary DATA_DIR. */
export async function createTestDatabase(prefix: string): Promise<{
  dataDir: string;
  /** For processes the test starts (worker, CLI). */
  databaseUrl: string;
  db: Db;
  cleanup: () => Promise<void>;
}> {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  const dataDir = path.join(work, "data");
  await ensureDataDir(dataDir);
  const database = await createMigratedDatabase(dataDir);
  const db = createDb(database.url);
  return {
    dataDir,
    databaseUrl: database.url,
    db,
    cleanup: async () => {
      await db.$disconnect();
      await database.drop();
      await fs.rm(work, { recursive: true, force: true });
    },
  };
}

/** mulberry32: a tiny seeded generator, so synthetic features are the same on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

export interface SyntheticSource {
  name: string;
  dim: number;
  /** "latent": a fixed random linear map of the image's latent plus a little noise; "noise": unrelated to it. */
  kind: "latent" | "noise";
}

export interface SyntheticAnalysisRun {
  runId: string;
  datasetId: string;
  imageIds: string[];
  /** [images, latentDim] the clustered latent every "latent" source is a linear image of. */
  latents: Float64Array;
  latentDim: number;
  clusterOf: number[];
  captions: (string | null)[];
}

/**
 * A dataset of `images` images in `clusters` clusters and a completed run over it with pooled fp16 vectors of
 * each source, built directly in the database (no model): what the analysis services read.
 */
export async function createSyntheticAnalysisRun(options: {
  db: Db;
  name: string;
  images: number;
  clusters: number;
  sources: SyntheticSource[];
  prompts?: string[];
  seed?: number;
  latentDim?: number;
  /** Images (by index) left without a caption. */
  uncaptioned?: (i: number) => boolean;
}): Promise<SyntheticAnalysisRun> {
  const { db } = options;
  const random = seededRandom(options.seed ?? 1);
  const latentDim = options.latentDim ?? 8;
  const centres = Array.from({ length: options.clusters }, () =>
    Float64Array.from({ length: latentDim }, () => 4 * gaussian(random)),
  );
  const latents = new Float64Array(options.images * latentDim);
  const clusterOf: number[] = [];
  for (let i = 0; i < options.images; i++) {
    const c = i % options.clusters;
    clusterOf.push(c);
    const centre = centres[c] as Float64Array;
    for (let j = 0; j < latentDim; j++) latents[i * latentDim + j] = (centre[j] as number) + gaussian(random);
  }
  const maps = options.sources.map((source) =>
    Float64Array.from({ length: latentDim * source.dim }, () => gaussian(random) / Math.sqrt(latentDim)),
  );

  const dataset = await db.dataset.create({ data: { name: `${options.name} dataset`, source: "upload" } });
  const run = await db.run.create({
    data: {
      name: options.name,
      datasetId: dataset.id,
      modelDir: "models/synthetic",
      modelHash: "synthetic-model",
      prompts: options.prompts ?? ["<OCR>"],
      sources: options.sources.map((s) => s.name),
      questions: [],
      status: "completed",
      total: options.images,
      done: options.images,
    },
  });
  const imageIds: string[] = [];
  const captions: (string | null)[] = [];
  for (let i = 0; i < options.images; i++) {
    const sha256 = createHash("sha256").update(`${options.name}:${i}`).digest("hex");
    const image = await db.image.create({
      data: { sha256, width: 64, height: 64, format: "png", bytes: 100, storagePath: `images/${sha256}.png` },
    });
    imageIds.push(image.id);
    const caption = options.uncaptioned?.(i) ? null : `image ${i} of cluster ${clusterOf[i]}`;
    captions.push(caption);
    await db.datasetItem.create({
      data: {
        datasetId: dataset.id,
        imageId: image.id,
        fileName: `img-${String(i).padStart(4, "0")}.png`,
        caption,
        labels: { cluster: `c${clusterOf[i]}` },
        position: i,
      },
    });
    await db.runImage.create({
      data: {
        runId: run.id,
        imageId: image.id,
        status: "done",
        answers: { create: [{ kind: "task", prompt: "<OCR>", text: `TEXT${i}` }] },
      },
    });
    await db.pooledFeature.createMany({
      data: options.sources.map((source, s) => {
        const vector = new Float32Array(source.dim);
        const map = maps[s] as Float64Array;
        for (let d = 0; d < source.dim; d++) {
          let value = 0.05 * gaussian(random);
          if (source.kind === "latent")
            for (let j = 0; j < latentDim; j++)
              value += (latents[i * latentDim + j] as number) * (map[j * source.dim + d] as number);
          else value += gaussian(random);
          vector[d] = value;
        }
        const half = fp32ToFp16(vector);
        return {
          runId: run.id,
          imageId: image.id,
          source: source.name,
          dim: source.dim,
          dtype: "fp16",
          data: new Uint8Array(half.buffer, half.byteOffset, half.byteLength).slice(),
        };
      }),
    });
  }
  return { runId: run.id, datasetId: dataset.id, imageIds, latents, latentDim, clusterOf, captions };
}

/**
 * Writes a feature file of token grids ([1 pooled + rows·cols, dim] per source, fp16, with the encoder's geometry
 * metadata) for some images of a run and points their RunImage rows at it.
 */
export async function writeSyntheticFeatureFiles(options: {
  db: Db;
  dataDir: string;
  runId: string;
  imageIds: readonly string[];
  source: string;
  grid: [number, number];
  dim: number;
  seed?: number;
}): Promise<void> {
  const store = new LocalFeatureStore(options.dataDir);
  const random = seededRandom(options.seed ?? 7);
  const [rows, cols] = options.grid;
  for (const imageId of options.imageIds) {
    const image = await options.db.image.findUniqueOrThrow({ where: { id: imageId } });
    const tokens = 1 + rows * cols;
    const values = new Float32Array(tokens * options.dim);
    // The pooled token is far from every patch, so a layout that kept it would show an outlier.
    for (let j = 0; j < options.dim; j++) values[j] = 100;
    for (let t = 1; t < tokens; t++) {
      const region = (t - 1) % 2;
      for (let j = 0; j < options.dim; j++)
        values[t * options.dim + j] = (j === region ? 3 : 0) + 0.3 * gaussian(random);
    }
    const { file } = await store.writeImage({
      runId: options.runId,
      imageSha256: image.sha256,
      model: "synthetic-model",
      dtype: "fp16",
      sources: {
        [options.source]: {
          tensor: { data: values, dims: [tokens, options.dim] },
          grid: options.grid,
          hasPooledToken: true,
        },
      },
    });
    await options.db.runImage.update({
      where: { runId_imageId: { runId: options.runId, imageId } },
      data: { featureFile: file.path, featureSha256: file.sha256 },
    });
  }
}
