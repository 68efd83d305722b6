import { type FloatArray, type Tensor, TensorShapeError } from "~/lib/tensor";
import { AnalysisInputError } from "./errors";
import { fitPca, type PcaModel, transformPca } from "./pca";

// The paper's Fig. 3 (the DINOv2 recipe): PCA over an image's patch tokens; the first component, min–max
// scaled to [0, 1], separates foreground from background at a threshold; a second PCA over the foreground
// patches gives three components shown as RGB (each channel min–max scaled), background transparent.

export interface PcaRgbOptions {
  /** Cut on the scaled first component; null keeps every patch (no background removal). */
  threshold?: number | null;
  /** Which side of the cut is foreground: a component's sign says nothing about which side is the object. */
  foreground?: "above" | "below";
  /** One basis (and colour scale) for all images so colours compare across them; else one per image. */
  shared?: boolean;
  seed?: number;
}

export interface PcaRgbMap {
  rgba: Uint8Array; // [height, width, 4] row-major, alpha 0 on background patches
  height: number;
  width: number;
  foregroundFraction: number;
}

export interface PcaRgbResult {
  maps: PcaRgbMap[];
  threshold: number | null;
  /** Variance share of the three colour components, per basis (one when shared, else one per image). */
  explainedVarianceRatio: Float64Array[];
}

// DINOv2's notebooks cut the min–max scaled first component at about the middle.
const DEFAULT_THRESHOLD = 0.5;
const RGB_COMPONENTS = 3;

/** PCA-RGB maps of patch grids, each [height, width, dim] (without any pooled token). */
export function pcaRgbMaps(grids: readonly Tensor<FloatArray>[], options: PcaRgbOptions = {}): PcaRgbResult {
  const { threshold = DEFAULT_THRESHOLD, foreground = "above", shared = false, seed = 0 } = options;
  if (threshold !== null && !(threshold >= 0 && threshold <= 1)) {
    throw new AnalysisInputError(`threshold must be in [0, 1] or null, got ${threshold}`);
  }
  const groups = shared ? [grids] : grids.map((grid) => [grid]);
  const maps: PcaRgbMap[] = [];
  const explainedVarianceRatio: Float64Array[] = [];
  for (const group of groups) {
    const patches = stackPatches(group);
    const isForeground = foregroundMask(patches, threshold, foreground, seed);
    const foregroundPatches = selectMasked(patches, isForeground);
    const colours = fitPca(foregroundPatches, { components: RGB_COMPONENTS, seed });
    explainedVarianceRatio.push(colours.explainedVarianceRatio);
    const rgba = colourPatches(colours, patches, isForeground);
    let offset = 0;
    for (const grid of group) {
      const [height, width] = grid.dims as [number, number];
      const count = height * width;
      let inForeground = 0;
      for (let p = offset; p < offset + count; p++) inForeground += isForeground[p] as number;
      maps.push({
        rgba: rgba.slice(offset * 4, (offset + count) * 4),
        height,
        width,
        foregroundFraction: inForeground / count,
      });
      offset += count;
    }
  }
  return { maps, threshold, explainedVarianceRatio };
}

function stackPatches(grids: readonly Tensor<FloatArray>[]): Tensor<Float64Array> {
  const dim = grids[0]?.dims[2];
  let total = 0;
  for (const grid of grids) {
    if (grid.dims.length !== 3 || grid.dims[2] !== dim) {
      throw new TensorShapeError(`PCA-RGB grids must be [height, width, ${dim}], got [${grid.dims}]`);
    }
    total += grid.data.length;
  }
  if (dim === undefined || dim < RGB_COMPONENTS)
    throw new AnalysisInputError("PCA-RGB needs features with ≥ 3 dims");
  const data = new Float64Array(total);
  let offset = 0;
  for (const grid of grids) {
    data.set(grid.data, offset);
    offset += grid.data.length;
  }
  return { data, dims: [total / dim, dim] };
}

/** 1 for foreground patches, 0 for background, from the first component of a PCA over all patches. */
function foregroundMask(
  patches: Tensor<Float64Array>,
  threshold: number | null,
  side: "above" | "below",
  seed: number,
): Uint8Array {
  const n = patches.dims[0] as number;
  if (n <= RGB_COMPONENTS) throw new AnalysisInputError(`PCA-RGB needs more than ${RGB_COMPONENTS} patches`);
  if (threshold === null) return new Uint8Array(n).fill(1);
  const first = transformPca(fitPca(patches, { components: 1, seed }), patches).data; // [n]
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const value of first) {
    min = Math.min(min, value);
    max = Math.max(max, value);
  }
  const range = max - min || 1;
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const scaled = ((first[i] as number) - min) / range;
    mask[i] = (side === "above" ? scaled >= threshold : scaled <= threshold) ? 1 : 0;
  }
  // A cut that leaves too few patches for three components keeps everything rather than failing.
  if (mask.reduce((sum, v) => sum + v, 0) <= RGB_COMPONENTS) mask.fill(1);
  return mask;
}

function selectMasked(patches: Tensor<Float64Array>, mask: Uint8Array): Tensor<Float64Array> {
  const dim = patches.dims[1] as number;
  const count = mask.reduce((sum, v) => sum + v, 0);
  const data = new Float64Array(count * dim);
  let row = 0;
  mask.forEach((keep, i) => {
    if (keep) data.set(patches.data.subarray(i * dim, (i + 1) * dim), dim * row++);
  });
  return { data, dims: [count, dim] };
}

/** Foreground patches coloured by their three component scores, each min–max scaled over the foreground. */
function colourPatches(model: PcaModel, patches: Tensor<Float64Array>, mask: Uint8Array): Uint8Array {
  const scores = transformPca(model, patches).data; // [n, 3]
  const n = mask.length;
  const min = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  const max = [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    for (let c = 0; c < RGB_COMPONENTS; c++) {
      const value = scores[i * RGB_COMPONENTS + c] as number;
      min[c] = Math.min(min[c] as number, value);
      max[c] = Math.max(max[c] as number, value);
    }
  }
  const rgba = new Uint8Array(n * 4);
  for (let i = 0; i < n; i++) {
    if (!mask[i]) continue;
    for (let c = 0; c < RGB_COMPONENTS; c++) {
      const range = (max[c] as number) - (min[c] as number) || 1;
      rgba[i * 4 + c] = Math.round(
        (255 * ((scores[i * RGB_COMPONENTS + c] as number) - (min[c] as number))) / range,
      );
    }
    rgba[i * 4 + 3] = 255;
  }
  return rgba;
}
