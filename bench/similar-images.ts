// Similar-images benchmark. (1) Crossover of the cosine index (lib/analysis buildCosineIndex): per size, the
// exact scan's median query time against the HNSW index's build time and median query time, on the same
// clustered rows; the crossover is the smallest size at which HNSW answers a session of SESSION_QUERIES queries
// (build included) faster than the scan. (2) Time to the first similar-images answer through the service
// (pooled vectors from the database, index build, query) for the demo run and a 100,000-image synthetic run,
// then a warm (cached) answer. Writes bench/results/similar-images.json.
// Usage: npm run bench:similar [-- --sizes 1000,5000,20000,50000,100000 --dim 256 --synthetic 100000
//        --skip-crossover]
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { buildCosineIndex, createPrng } from "~/lib/analysis";
import { fp32ToFp16 } from "~/lib/tensor";
import { getRunSourceIndex } from "~/server/services/search/cosine-index-cache";
import { findSimilarImages } from "~/server/services/search/find-similar-images";
import { createDb, type Db } from "~/server/store/db";
import { dashboardEnv, encodeWithCli } from "../tests/helpers/dashboard-stack";
import { createSyntheticAnalysisRun } from "../tests/helpers/synthetic-analysis-run";
import { median } from "./median";

const ROOT = path.resolve(import.meta.dirname, "..");
const { values: args } = parseArgs({
  options: {
    sizes: { type: "string", default: "1000,2000,5000,10000,20000,50000,100000" },
    dim: { type: "string", default: "256" },
    queries: { type: "string", default: "25" },
    synthetic: { type: "string", default: "100000" },
    "skip-crossover": { type: "boolean", default: false },
  },
});
const DIM = Number(args.dim);
const QUERIES = Number(args.queries);
const K = 12;
// A long exploring session: this many similar-image questions against one run and source.
const SESSION_QUERIES = 1000;

function clustered(n: number, dim: number, seed: number): Float32Array {
  const prng = createPrng(seed);
  const clusters = 32;
  const centres = new Float32Array(clusters * dim).map(() => 1.5 * prng.nextGaussian());
  const data = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const c = prng.nextInt(clusters);
    for (let j = 0; j < dim; j++) data[i * dim + j] = (centres[c * dim + j] as number) + prng.nextGaussian();
  }
  return data;
}

function timeQueries(search: (row: number) => unknown, n: number): number {
  const prng = createPrng(3);
  const times: number[] = [];
  for (let q = 0; q < QUERIES; q++) {
    const row = prng.nextInt(n);
    const start = performance.now();
    search(row);
    times.push(performance.now() - start);
  }
  return median(times);
}

export function measureCrossover() {
  const sizes = args.sizes.split(",").map(Number);
  return sizes.map((n) => {
    const data = clustered(n, DIM, n);
    const tensor = { data, dims: [n, DIM] };
    const exact = buildCosineIndex(tensor, { exactMaxValues: Infinity });
    const exactQueryMs = timeQueries((row) => exact.search(exact.row(row), K), n);
    const buildStart = performance.now();
    const hnsw = buildCosineIndex(tensor, { exactMaxValues: 0 });
    while (!hnsw.buildStep(n));
    const hnswBuildMs = performance.now() - buildStart;
    const hnswQueryMs = timeQueries((row) => hnsw.search(hnsw.row(row), K), n);
    const entry = {
      n,
      dim: DIM,
      exactQueryMs,
      hnswBuildMs,
      hnswQueryMs,
      sessionExactMs: SESSION_QUERIES * exactQueryMs,
      sessionHnswMs: hnswBuildMs + SESSION_QUERIES * hnswQueryMs,
    };
    console.log(JSON.stringify(entry));
    return entry;
  });
}

/** The service's answers for one run and source: the first (cold: load, normalise, search), then warm ones. */
async function timeService(db: Db, runId: string, source: string, imageIds: readonly string[]) {
  const prng = createPrng(11);
  const pick = () => imageIds[prng.nextInt(imageIds.length)] as string;
  const start = performance.now();
  const first = await findSimilarImages({ db, runId, imageId: pick(), source, k: K });
  const firstAnswerMs = performance.now() - start;
  const warm: number[] = [];
  for (let q = 0; q < QUERIES; q++) {
    const t = performance.now();
    await findSimilarImages({ db, runId, imageId: pick(), source, k: K });
    warm.push(performance.now() - t);
  }
  // Above the exact size the HNSW graph is built in slices after the first answer; then the answers use it.
  const { entry } = await getRunSourceIndex({ db, runId, source });
  const buildStart = performance.now();
  await entry.isComplete;
  const hnswReadyAfterMs = performance.now() - buildStart;
  const after: number[] = [];
  let method = entry.index.method;
  for (let q = 0; q < QUERIES; q++) {
    const t = performance.now();
    method = (await findSimilarImages({ db, runId, imageId: pick(), source, k: K })).method;
    after.push(performance.now() - t);
  }
  return {
    images: first.indexed,
    source,
    firstAnswerMs,
    firstAnswerLoadMs: first.loadMs,
    firstAnswerMethod: first.method,
    warmAnswerMs: median(warm),
    indexCompleteAfterMs: hnswReadyAfterMs,
    finalMethod: method,
    finalAnswerMs: median(after),
  };
}

/** A run of `images` images with 256-D pooled vectors of one source in 64 clusters, inserted in bulk. */
async function createLargeRun(db: Db, images: number): Promise<{ runId: string; imageIds: string[] }> {
  const { runId, datasetId } = await createSyntheticAnalysisRun({
    db,
    name: `similar ${images}`,
    images: 0,
    clusters: 1,
    sources: [{ name: "fused", dim: DIM, kind: "noise" }],
  });
  const data = clustered(images, DIM, 5);
  const imageIds: string[] = [];
  const BATCH = 2000;
  for (let start = 0; start < images; start += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, images - start) }, (_, i) => `bench-${start + i}`);
    imageIds.push(...ids);
    await db.image.createMany({
      data: ids.map((id) => {
        const sha256 = createHash("sha256").update(id).digest("hex");
        return {
          id,
          sha256,
          width: 64,
          height: 64,
          format: "png",
          bytes: 100,
          storagePath: `images/${sha256}`,
        };
      }),
    });
    await db.datasetItem.createMany({
      data: ids.map((imageId, i) => ({
        datasetId,
        imageId,
        fileName: `${imageId}.png`,
        position: start + i,
      })),
    });
    await db.runImage.createMany({ data: ids.map((imageId) => ({ runId, imageId, status: "done" })) });
    await db.pooledFeature.createMany({
      data: ids.map((imageId, i) => {
        const half = fp32ToFp16(data.subarray((start + i) * DIM, (start + i + 1) * DIM));
        return {
          runId,
          imageId,
          source: "fused",
          dim: DIM,
          dtype: "fp16",
          data: new Uint8Array(half.buffer).slice(),
        };
      }),
    });
  }
  return { runId, imageIds };
}

async function measureService() {
  const work = await fs.mkdtemp(path.join(os.tmpdir(), "bench-similar-"));
  try {
    const env = await dashboardEnv(work);
    // The demo run: the bundled scenes encoded by the CLI, as `npm start` makes it.
    const encodeStart = performance.now();
    const demoRunId = await encodeWithCli(
      env,
      work,
      path.join(ROOT, "demo", "florence-vl-mini-scenes"),
      "demo",
    );
    const encodeMs = performance.now() - encodeStart;
    const db = createDb(`file:${path.join(env.DATA_DIR ?? "", "lens.db")}`);
    try {
      const demoImages = await db.pooledFeature.findMany({
        where: { runId: demoRunId, source: "fused" },
        select: { imageId: true },
      });
      const demo = await timeService(
        db,
        demoRunId,
        "fused",
        demoImages.map((row) => row.imageId),
      );
      console.log(JSON.stringify({ demo }));
      const size = Number(args.synthetic);
      const insertStart = performance.now();
      const large = await createLargeRun(db, size);
      const insertMs = performance.now() - insertStart;
      const synthetic = await timeService(db, large.runId, "fused", large.imageIds);
      console.log(JSON.stringify({ synthetic }));
      return { demo: { ...demo, encodeMs }, synthetic: { ...synthetic, dim: DIM, insertMs } };
    } finally {
      await db.$disconnect();
    }
  } finally {
    await fs.rm(work, { recursive: true, force: true });
  }
}

const loadBefore = os.loadavg();
const crossover = args["skip-crossover"] ? [] : measureCrossover();
const firstFaster = crossover.find((e) => e.sessionHnswMs < e.sessionExactMs);
const service = await measureService();
const result = {
  machine: { cpus: os.cpus().length, loadAverageBefore: loadBefore, loadAverageAfter: os.loadavg() },
  k: K,
  sessionQueries: SESSION_QUERIES,
  crossover,
  hnswFasterFromRows: firstFaster?.n ?? null,
  service,
};
writeFileSync(
  path.join(ROOT, "bench", "results", "similar-images.json"),
  `${JSON.stringify(result, null, 2)}\n`,
);
console.log(JSON.stringify(result, null, 2));
