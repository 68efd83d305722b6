import { applyProjection, buildCosineIndex, type CosineIndex, type LinearProjection } from "~/lib/analysis";
import { AppError } from "~/server/app-error";
import { loadPooledVectors } from "~/server/features/pooled-vectors";
import { putBounded } from "~/server/services/bounded-cache";
import type { Db } from "~/server/store/db";

/** One run and source's pooled vectors (or their probe images) as a cosine index, rows in dataset order. */
export interface RunSourceIndex {
  runId: string;
  source: string;
  index: CosineIndex;
  imageIds: string[];
  rowOfImage: ReadonlyMap<string, number>;
  /** How long loading the vectors and normalising them took (the exact scan is ready then). */
  loadMs: number;
  /** Resolves once the HNSW index is complete (at once when the exact scan serves this size). */
  isComplete: Promise<void>;
}

// The HNSW index is built in slices of about this long on the web server's thread, yielding to requests in
// between, so a 100,000-image build never stalls the server for more than a slice.
const BUILD_SLICE_MS = 20;
const ROWS_PER_STEP = 32;
// Indexes kept in memory (least recently used goes first): 100,000 × 1,024-D float32 rows are 400 MB, so a few
// run/source pairs at most; the explorer asks one or two sources at a time.
const MAX_CACHED = 4;
const cache = new Map<string, Promise<RunSourceIndex>>();

/**
 * The cosine index of a run's source, built once and cached server-side; rebuilt when the run's vector count
 * of that source changed (encoding went on), and dropped when a build fails so the next call retries.
 */
export async function getRunSourceIndex(options: {
  db: Db;
  runId: string;
  source: string;
  /** Index the pooled vectors mapped through this probe (text search), instead of as they are. */
  probe?: { key: string; projection: LinearProjection };
}): Promise<{ entry: RunSourceIndex; isNew: boolean }> {
  const { db, runId, source, probe } = options;
  const count = await db.pooledFeature.count({ where: { runId, source } });
  if (count === 0)
    throw new AppError("NOT_FOUND", `No encoded image of this run has the source ${source} (yet).`);
  const key = `${runId}\u0000${source}\u0000${probe?.key ?? ""}`;
  const cached = cache.get(key);
  if (cached !== undefined) {
    const entry = await cached.catch(() => null);
    if (entry !== null && entry.index.size === count) {
      putBounded(cache, key, cached, MAX_CACHED);
      return { entry, isNew: false };
    }
  }
  const building = buildRunSourceIndex(db, runId, source, probe?.projection);
  putBounded(cache, key, building, MAX_CACHED);
  building.catch(() => {
    if (cache.get(key) === building) cache.delete(key);
  });
  return { entry: await building, isNew: true };
}

async function buildRunSourceIndex(
  db: Db,
  runId: string,
  source: string,
  projection: LinearProjection | undefined,
): Promise<RunSourceIndex> {
  const start = performance.now();
  const pooled = await loadPooledVectors({ db, runId, source });
  const rows = { data: pooled.data, dims: [pooled.imageIds.length, pooled.dim] };
  const index = buildCosineIndex(projection === undefined ? rows : applyProjection(projection, rows));
  return {
    runId,
    source,
    index,
    imageIds: pooled.imageIds,
    rowOfImage: new Map(pooled.imageIds.map((id, row) => [id, row])),
    loadMs: performance.now() - start,
    // A failed HNSW build leaves the exact scan answering: slower above the exact size, never wrong.
    isComplete: buildInSlices(index).catch(() => undefined),
  };
}

/** Completes the index's HNSW graph a slice at a time between other work on this thread. */
async function buildInSlices(index: CosineIndex): Promise<void> {
  for (;;) {
    const sliceEnd = performance.now() + BUILD_SLICE_MS;
    while (performance.now() < sliceEnd) if (index.buildStep(ROWS_PER_STEP)) return;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}
