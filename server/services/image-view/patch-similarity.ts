import { base64OfTypedArray } from "~/lib/codec/base64";
import { l2NormalizeRows, rowOf } from "~/lib/tensor";
import { AppError } from "~/server/app-error";
import type { FeatureStore } from "~/server/features/feature-store";
import type { Db } from "~/server/store/db";
import { readPatchGrids } from "./read-patch-grids";

export type SimilarityTargetView =
  | {
      source: string;
      available: true;
      /** base64 of Float32Array [rows · cols]: cosine similarity of each patch to the query patch. */
      similarity: string;
      min: number;
      max: number;
    }
  | { source: string; available: false; reason: string };

export interface PatchSimilarityView {
  source: string;
  grid: [number, number];
  patchIndex: number;
  targets: SimilarityTargetView[];
}

/**
 * Cosine similarity of one patch to every patch of the same image. For each target source the query is that
 * source's token at the clicked cell, so sources of different widths compare by position; a source whose grid
 * differs from the clicked one has no such cell and is reported as unavailable with the reason.
 */
export async function computePatchSimilarity(options: {
  db: Db;
  features: FeatureStore;
  runId: string;
  imageId: string;
  source: string;
  patchIndex: number;
  targetSources: readonly string[];
}): Promise<PatchSimilarityView> {
  const read = (source: string) =>
    readPatchGrids({ ...options, source, imageIds: [options.imageId] }).then((grids) => grids[0]);
  const clicked = await read(options.source);
  if (clicked === undefined) throw new AppError("NOT_FOUND", `Image ${options.imageId} has no features.`);
  const [rows, cols] = clicked.grid;
  if (options.patchIndex >= rows * cols)
    throw new AppError("BAD_INPUT", `Patch ${options.patchIndex} is outside the ${rows}×${cols} grid.`);
  const targets: SimilarityTargetView[] = [];
  for (const source of options.targetSources) {
    const target = source === options.source ? clicked : await read(source);
    if (target === undefined) continue;
    const [targetRows, targetCols] = target.grid;
    if (targetRows !== rows || targetCols !== cols) {
      targets.push({
        source,
        available: false,
        reason: `Its ${targetRows}×${targetCols} grid differs from ${options.source}'s ${rows}×${cols}: no patch at the same place.`,
      });
      continue;
    }
    const { normalized } = l2NormalizeRows(target.tokens);
    const query = rowOf(normalized, options.patchIndex);
    const similarity = new Float32Array(rows * cols);
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (let p = 0; p < similarity.length; p++) {
      const row = rowOf(normalized, p);
      let dot = 0;
      for (let j = 0; j < row.length; j++) dot += (row[j] as number) * (query[j] as number);
      similarity[p] = dot;
      min = Math.min(min, dot);
      max = Math.max(max, dot);
    }
    targets.push({ source, available: true, similarity: base64OfTypedArray(similarity), min, max });
  }
  return { source: options.source, grid: clicked.grid, patchIndex: options.patchIndex, targets };
}
