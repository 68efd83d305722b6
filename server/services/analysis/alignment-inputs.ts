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

/** Encoded images of the run whose dataset item has a caption (the pairs the analysis can use), and the rest. */
export async function countCaptionedImages(
  db: Db,
  runId: string,
): Promise<{ captioned: number; withoutCaption: number }> {
  const run = await db.run.findUniqueOrThrow({ where: { id: runId }, select: { datasetId: true } });
  const done = await db.runImage.findMany({ where: { runId, status: "done" }, select: { imageId: true } });
  const items = await db.datasetItem.findMany({
    where: { datasetId: run.datasetId, imageId: { in: done.map((d) => d.imageId) } },
    select: { caption: true },
  });
  const captioned = items.filter((item) => normaliseCaption(item.caption) !== null).length;
  return { captioned, withoutCaption: items.length - captioned };
}

export interface AlignmentInputs {
  /** Images with a caption and a pooled vector of every source, in dataset order. */
  imageIds: string[];
  captions: string[];
  /** Per source, [imageIds.length, dim] rows in `imageIds` order. */
  pooled: Map<string, Tensor<Float32Array>>;
  skippedWithoutCaption: number;
}

export async function loadAlignmentInputs(options: {
  db: Db;
  runId: string;
  sources: readonly string[];
}): Promise<AlignmentInputs> {
  const { db, runId } = options;
  const run = await db.run.findUniqueOrThrow({ where: { id: runId }, select: { datasetId: true } });
  const items = await db.datasetItem.findMany({
    where: { datasetId: run.datasetId },
    orderBy: { position: "asc" },
    select: { imageId: true, caption: true },
  });
  const matrices = await Promise.all(
    options.sources.map((source) => loadPooledVectors({ db, runId, source })),
  );
  const rowOf = matrices.map((m) => new Map(m.imageIds.map((id, i) => [id, i])));
  const encoded = items.filter((item) => rowOf.every((rows) => rows.has(item.imageId)));
  const usable = encoded.flatMap((item) => {
    const caption = normaliseCaption(item.caption);
    return caption === null ? [] : [{ imageId: item.imageId, caption }];
  });
  const pooled = new Map<string, Tensor<Float32Array>>();
  options.sources.forEach((source, s) => {
    const matrix = matrices[s];
    const rows = rowOf[s];
    if (matrix === undefined || rows === undefined) return;
    const data = new Float32Array(usable.length * matrix.dim);
    usable.forEach((image, i) => {
      const row = rows.get(image.imageId) as number;
      data.set(matrix.data.subarray(row * matrix.dim, (row + 1) * matrix.dim), i * matrix.dim);
    });
    pooled.set(source, { data, dims: [usable.length, matrix.dim] });
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
