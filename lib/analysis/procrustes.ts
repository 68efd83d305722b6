import { type FloatArray, matrixDims, type Tensor } from "~/lib/tensor";
import { AnalysisInputError } from "./errors";

export interface ProcrustesResult {
  aligned: Tensor<Float64Array>; // [n, 2] the moving layout mapped onto the reference
  /** Row-vector map: aligned = scale · (moving − movingMean) · rotation + referenceMean. */
  rotation: Float64Array; // [2, 2]
  scale: number;
  /** Centroids the map subtracts and adds: [x, y]. */
  referenceMean: [number, number];
  movingMean: [number, number];
  isReflection: boolean;
  /** Root-mean-square distance between aligned and reference points. */
  rmsd: number;
}

/**
 * Similarity Procrustes in 2-D, closed form: the orthogonal map (rotation, or reflection when allowed — UMAP
 * and PCA layouts have no preferred handedness), uniform scale and translation that best map `moving` onto
 * `reference` point for point, so small multiples of different sources compare point by point.
 * With M = B̄ᵀĀ the rotation angle maximising tr(RᵀM) is atan2(m10 − m01, m00 + m11), the reflection's is
 * atan2(m01 + m10, m00 − m11); the better of the two wins and scale = tr(RᵀM)/‖B̄‖².
 */
export function procrustesAlign(
  reference: Tensor<FloatArray>,
  moving: Tensor<FloatArray>,
  { allowReflection = true }: { allowReflection?: boolean } = {},
): ProcrustesResult {
  const [n, dim] = matrixDims(reference, "reference");
  const [movingRows, movingDim] = matrixDims(moving, "moving");
  if (dim !== 2 || movingDim !== 2 || movingRows !== n) {
    throw new AnalysisInputError(
      `Procrustes needs two [n, 2] layouts of the same points, got [${n}, ${dim}] and [${movingRows}, ${movingDim}]`,
    );
  }
  const referenceMean = mean2(reference.data, n);
  const movingMean = mean2(moving.data, n);
  let m00 = 0;
  let m01 = 0;
  let m10 = 0;
  let m11 = 0;
  let movingSquares = 0;
  for (let i = 0; i < n; i++) {
    const bx = (moving.data[2 * i] as number) - movingMean[0];
    const by = (moving.data[2 * i + 1] as number) - movingMean[1];
    const ax = (reference.data[2 * i] as number) - referenceMean[0];
    const ay = (reference.data[2 * i + 1] as number) - referenceMean[1];
    m00 += bx * ax;
    m01 += bx * ay;
    m10 += by * ax;
    m11 += by * ay;
    movingSquares += bx * bx + by * by;
  }
  const rotationTrace = Math.hypot(m00 + m11, m10 - m01);
  const reflectionTrace = Math.hypot(m00 - m11, m01 + m10);
  const isReflection = allowReflection && reflectionTrace > rotationTrace;
  let rotation: Float64Array;
  if (isReflection) {
    const angle = Math.atan2(m01 + m10, m00 - m11);
    rotation = Float64Array.of(Math.cos(angle), Math.sin(angle), Math.sin(angle), -Math.cos(angle));
  } else {
    const angle = Math.atan2(m10 - m01, m00 + m11);
    rotation = Float64Array.of(Math.cos(angle), -Math.sin(angle), Math.sin(angle), Math.cos(angle));
  }
  const scale = movingSquares > 0 ? (isReflection ? reflectionTrace : rotationTrace) / movingSquares : 1;
  const fit = { rotation, scale, referenceMean, movingMean };
  const aligned = applyProcrustes(fit, moving.data);
  let squaredError = 0;
  for (let i = 0; i < 2 * n; i++)
    squaredError += ((aligned[i] as number) - (reference.data[i] as number)) ** 2;
  return {
    aligned: { data: aligned, dims: [n, 2] },
    ...fit,
    isReflection,
    rmsd: Math.sqrt(squaredError / n),
  };
}

/**
 * Maps any points of the moving layout (interleaved x, y; not only the ones the map was fitted on) with a fitted
 * similarity: x ↦ scale · (x − movingMean) · rotation + referenceMean.
 */
export function applyProcrustes(
  fit: Pick<ProcrustesResult, "rotation" | "scale" | "referenceMean" | "movingMean">,
  points: FloatArray,
): Float64Array {
  const [r00 = 1, r01 = 0, r10 = 0, r11 = 1] = fit.rotation;
  const [bx, by] = fit.movingMean;
  const [ax, ay] = fit.referenceMean;
  const out = new Float64Array(points.length);
  for (let i = 0; i + 1 < points.length; i += 2) {
    const x = (points[i] as number) - bx;
    const y = (points[i + 1] as number) - by;
    out[i] = fit.scale * (x * r00 + y * r10) + ax;
    out[i + 1] = fit.scale * (x * r01 + y * r11) + ay;
  }
  return out;
}

/** Aligns every panel to `panels[referenceIndex]` (which is returned unchanged). */
export function alignToReference(
  panels: readonly Tensor<FloatArray>[],
  referenceIndex = 0,
): Tensor<Float64Array>[] {
  const reference = panels[referenceIndex];
  if (reference === undefined)
    throw new AnalysisInputError(`no panel ${referenceIndex} among ${panels.length}`);
  return panels.map((panel, i) =>
    i === referenceIndex
      ? { data: Float64Array.from(panel.data), dims: panel.dims }
      : procrustesAlign(reference, panel).aligned,
  );
}

function mean2(data: FloatArray, n: number): [number, number] {
  let x = 0;
  let y = 0;
  for (let i = 0; i < n; i++) {
    x += data[2 * i] as number;
    y += data[2 * i + 1] as number;
  }
  return [x / n, y / n];
}
