import type { Tensor } from "~/lib/tensor";
import { loadPooledVectors } from "~/server/features/pooled-vectors";
import type { Db } from "~/server/store/db";

/** Fraction of the images held out (by the seed) for the held-out loss and retrieval. */
export const HELD_OUT_FRACTION = 0.2;
// The inference server's longest accepted text; longer captions are cut (their start carries the content).
const MAX_CAPTION_CHARS = 4000;

/** Fewest images with which a batch of N fits both the training and the held-out set. */
export function minimumAlignmentImages(batchSize: number): number {
  let n = batchSize;
  while (Math.round(n * HELD_OUT_FRACTION) < batchSize || n - Math.round(n * HELD_OUT_FRACTION) < batchSize)
    n++;
  return n;
}

/**
 * Images every one of the runs (all on one dataset) has encoded, split into those whose dataset item has a caption
 * (the pairs the analysis can use) and the rest.
 */
export async function countCaptionedImages(
  db: Db,
  runIds: readonly string[],
): Promise<{ captioned: number; withoutCaption: number }> {
  const first = runIds[0];
  if (first === undefined) return { captioned: 0, withoutCaption: 0 };
  const run = await db.run.findUniqueOrThrow({ where: { id: first }, select: { datasetId: true } });
  const shared = await sharedDoneImages(db, runIds);
  const items = await db.datasetItem.findMany({
    where: { datasetId: run.datasetId, imageId: { in: [...shared] } },
    select: { caption: true },
  });
  const captioned = items.filter((item) => normaliseCaption(item.caption) !== null).length;
  return { captioned, withoutCaption: items.length - captioned };
}

/** Ids of the images every run has encoded. */
async function sharedDoneImages(db: Db, runIds: readonly string[]): Promise<Set<string>> {
  const perRun = await Promise.all(
    runIds.map(async (runId) => {
      const done = await db.runImage.findMany({
        where: { runId, status: "done" },
        select: { imageId: true },
      });
      return new Set(done.map((d) => d.imageId));
    }),
  );
  const [first = new Set<string>(), ...rest] = perRun;
  return new Set([...first].filter((id) => rest.every((ids) => ids.has(id))));
}

export interface AlignmentInputs {
  /** Images with a caption and a pooled vector of every source of every run, in dataset order. */
  imageIds: string[];
  captions: string[];
  /** Per run, per source: [imageIds.length, dim] rows in `imageIds` order. */
  pooled: Map<string, Map<string, Tensor<Float32Array>>>;
  skippedWithoutCaption: number;
}

/** The runs' (one dataset's) pooled vectors of the images all of them encoded, and those images' captions. */
export async function loadAlignmentInputs(options: {
  db: Db;
  runs: readonly { runId: string; sources: readonly string[] }[];
}): Promise<AlignmentInputs> {
  const { db, runs } = options;
  const first = runs[0];
  if (first === undefined) throw new Error("loadAlignmentInputs needs at least one run");
  const run = await db.run.findUniqueOrThrow({ where: { id: first.runId }, select: { datasetId: true } });
  const items = await db.datasetItem.findMany({
    where: { datasetId: run.datasetId },
    orderBy: { position: "asc" },
    select: { imageId: true, caption: true },
  });
  const matrices = await Promise.all(
    runs.flatMap(({ runId, sources }) =>
      sources.map(async (source) => ({
        runId,
        source,
        matrix: await loadPooledVectors({ db, runId, source }),
      })),
    ),
  );
  const rowOf = matrices.map(({ matrix }) => new Map(matrix.imageIds.map((id, i) => [id, i])));
  const encoded = items.filter((item) => rowOf.every((rows) => rows.has(item.imageId)));
  const usable = encoded.flatMap((item) => {
    const caption = normaliseCaption(item.caption);
    return caption === null ? [] : [{ imageId: item.imageId, caption }];
  });
  const pooled = new Map(runs.map(({ runId }) => [runId, new Map<string, Tensor<Float32Array>>()]));
  matrices.forEach(({ runId, source, matrix }, m) => {
    const rows = rowOf[m] as Map<string, number>;
    const data = new Float32Array(usable.length * matrix.dim);
    usable.forEach((image, i) => {
      const row = rows.get(image.imageId) as number;
      data.set(matrix.data.subarray(row * matrix.dim, (row + 1) * matrix.dim), i * matrix.dim);
    });
    pooled.get(runId)?.set(source, { data, dims: [usable.length, matrix.dim] });
  });
  return {
    imageIds: usable.map((u) => u.imageId),
    captions: usable.map((u) => u.caption),
    pooled,
    skippedWithoutCaption: encoded.length - usable.length,
  };
}

function normaliseCaption(caption: string | null): string | null {
  const text = caption?.trim() ?? "";
  return text.length === 0 ? null : text.slice(0, MAX_CAPTION_CHARS);
}
