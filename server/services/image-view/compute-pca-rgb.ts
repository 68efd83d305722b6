import { pcaRgbMaps } from "~/lib/analysis";
import { base64OfTypedArray } from "~/lib/codec/base64";
import type { FeatureStore } from "~/server/features/feature-store";
import type { Db } from "~/server/store/db";
import { readPatchGrids } from "./read-patch-grids";

export interface PcaRgbMapView {
  imageId: string;
  grid: [number, number];
  /** base64 of Uint8Array [rows · cols · 4], row-major RGBA; alpha 0 on background patches. */
  rgba: string;
  foregroundFraction: number;
}

export interface PcaRgbSourceView {
  source: string;
  threshold: number | null;
  /** Variance share of the three colour components, one list per basis (one when shared, else one per image). */
  explainedVarianceRatio: number[][];
  maps: PcaRgbMapView[];
}

/**
 * The paper's Fig. 3 maps (PCA of patch tokens, first three components as RGB, background cut on the first
 * component) for every (image, source), one basis per image or one shared by the chosen images of a source.
 */
export async function computePcaRgb(options: {
  db: Db;
  features: FeatureStore;
  runId: string;
  imageIds: readonly string[];
  sources: readonly string[];
  sharedBasis: boolean;
  threshold: number | null;
  foreground: "above" | "below";
}): Promise<PcaRgbSourceView[]> {
  const views: PcaRgbSourceView[] = [];
  for (const source of options.sources) {
    const grids = await readPatchGrids({ ...options, source });
    const result = pcaRgbMaps(
      grids.map((g) => ({ data: g.tokens.data, dims: [...g.grid, g.tokens.dims[1] ?? 0] })),
      { threshold: options.threshold, foreground: options.foreground, shared: options.sharedBasis },
    );
    views.push({
      source,
      threshold: result.threshold,
      explainedVarianceRatio: result.explainedVarianceRatio.map((ratios) => [...ratios]),
      maps: result.maps.map((map, i) => ({
        imageId: grids[i]?.imageId ?? "",
        grid: [map.height, map.width],
        rgba: base64OfTypedArray(map.rgba),
        foregroundFraction: map.foregroundFraction,
      })),
    });
  }
  return views;
}
