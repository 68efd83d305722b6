import { columnMeans, type FloatArray, matrixDims, type Tensor } from "~/lib/tensor";
import { AnalysisInputError } from "./errors";
import { createPrng } from "./prng";
import { tridiagonalEigen } from "./tridiagonal-eigen";

export interface PcaModel {
  mean: Float64Array; // [dim]
  components: Tensor<Float64Array>; // [k, dim] unit rows, by decreasing variance
  explainedVariance: Float64Array; // [k] eigenvalues of the covariance (divisor n − 1, like scikit-learn)
  explainedVarianceRatio: Float64Array; // [k] share of the total variance
}

export interface PcaOptions {
  components: number;
  /** Seeds Lanczos' start vector; the result does not depend on it beyond rounding. */
  seed?: number;
  onProgress?: (fraction: number) => void;
}

// Ritz pairs are accepted when their residual ‖C v − λ v‖ is below this fraction of the largest eigenvalue:
// eigenvectors then agree with a full SVD to ~1e-10 relative wherever the spectrum has a gap.
const RESIDUAL_TOLERANCE = 1e-12;
// Re-solving the small tridiagonal problem every few Lanczos steps keeps its O(m³) cost negligible.
const CHECK_EVERY = 4;
// Typical convergence needs a few k + some tens of steps; the basis grows by doubling past that.
const initialBasisRows = (k: number): number => 4 * k + 40;
// Below this fraction of the largest |α|, β means the Krylov space is invariant (rank reached).
const BREAKDOWN_TOLERANCE = 1e-13;

/**
 * PCA by Lanczos iteration with full re-orthogonalisation on the covariance operator v ↦ X̄ᵀ(X̄ v)/(n − 1),
 * applied without forming the covariance or a centred copy of X (X̄ v = X v − 1 μᵀv). Memory O(m·dim) for
 * m ≤ dim Lanczos vectors; time O(m·n·dim), m a few times k. When m reaches dim the result is exact.
 *
 * Sign convention (so the same data always gives the same picture): each component is flipped so that its
 * largest-magnitude loading is positive.
 */
export function fitPca(x: Tensor<FloatArray>, { components: k, seed = 0, onProgress }: PcaOptions): PcaModel {
  const [n, dim] = matrixDims(x, "X");
  if (!Number.isInteger(k) || k < 1 || k > Math.min(n, dim)) {
    throw new AnalysisInputError(`components must be an integer in [1, ${Math.min(n, dim)}], got ${k}`);
  }
  if (n < 2) throw new AnalysisInputError("PCA needs at least 2 samples");
  const mean = columnMeans(x);
  const totalVariance = centredSumOfSquares(x, mean) / (n - 1);
  const applyCovariance = covarianceOperator(x, mean);
  const prng = createPrng(seed);
  let basis: Float64Array = new Float64Array(Math.min(dim, initialBasisRows(k)) * dim); // [m, dim] Lanczos vectors
  const alphas: number[] = [];
  const betas: number[] = [];
  let vector: Float64Array = randomUnitVector(dim, prng);
  let alphaScale = 0;
  for (let m = 0; m < dim; m++) {
    if ((m + 1) * dim > basis.length) basis = grow(basis, Math.min(dim, 2 * m) * dim);
    basis.set(vector, m * dim);
    const w = applyCovariance(vector);
    const alpha = dot(vector, w);
    alphas.push(alpha);
    alphaScale = Math.max(alphaScale, Math.abs(alpha));
    // Two passes of classical Gram–Schmidt against every previous vector ("twice is enough").
    for (let pass = 0; pass < 2; pass++) orthogonalize(w, basis, m + 1, dim);
    let beta = Math.sqrt(dot(w, w));
    const isLast = m + 1 === dim;
    const isBreakdown = beta <= BREAKDOWN_TOLERANCE * Math.max(alphaScale, totalVariance);
    if (isLast || ((m + 1) % CHECK_EVERY === 0 && m + 1 >= k) || isBreakdown) {
      const ritz = tridiagonalEigen(Float64Array.from(alphas), Float64Array.from(betas));
      if (isLast || (m + 1 >= k && hasConverged(ritz.vectors, ritz.values, m + 1, k, beta))) {
        onProgress?.(1);
        return buildModel(mean, totalVariance, ritz, basis, m + 1, dim, k);
      }
    }
    onProgress?.(Math.min(0.99, (m + 1) / Math.min(dim, initialBasisRows(k))));
    if (isBreakdown) {
      // The data's rank is exhausted before k converged components: continue from a fresh direction; the
      // remaining eigenvalues are zero and their vectors any orthonormal completion.
      vector = randomUnitVector(dim, prng);
      for (let pass = 0; pass < 2; pass++) orthogonalize(vector, basis, m + 1, dim);
      scaleTo(vector, 1);
      beta = 0;
    } else {
      vector = w;
      scaleTo(vector, 1);
    }
    betas.push(beta);
  }
  throw new Error("unreachable: Lanczos ends at m = dim");
}

/** Projects rows onto the components: (X − μ) Wᵀ → [n, k]. */
export function transformPca(model: PcaModel, x: Tensor<FloatArray>): Tensor<Float64Array> {
  const [n, dim] = matrixDims(x, "X");
  const [k, modelDim] = matrixDims(model.components);
  if (dim !== modelDim) throw new AnalysisInputError(`the PCA was fitted on ${modelDim} dims, got ${dim}`);
  const out = new Float64Array(n * k);
  const components = model.components.data;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      let sum = 0;
      for (let j = 0; j < dim; j++) {
        sum +=
          ((x.data[i * dim + j] as number) - (model.mean[j] as number)) * (components[c * dim + j] as number);
      }
      out[i * k + c] = sum;
    }
  }
  return { data: out, dims: [n, k] };
}

function covarianceOperator(x: Tensor<FloatArray>, mean: Float64Array): (v: Float64Array) => Float64Array {
  const [n, dim] = matrixDims(x);
  const data = x.data;
  const projected = new Float64Array(n);
  return (v) => {
    const meanDot = dot(mean, v);
    let projectedSum = 0;
    for (let i = 0; i < n; i++) {
      let sum = 0;
      const offset = i * dim;
      for (let j = 0; j < dim; j++) sum += (data[offset + j] as number) * (v[j] as number);
      projected[i] = sum - meanDot;
      projectedSum += sum - meanDot;
    }
    const out = new Float64Array(dim);
    for (let i = 0; i < n; i++) {
      const p = projected[i] as number;
      const offset = i * dim;
      for (let j = 0; j < dim; j++) out[j] = (out[j] as number) + p * (data[offset + j] as number);
    }
    // X̄ᵀp = Xᵀp − μ Σp; Σp is zero up to rounding but subtracting it keeps the operator exactly symmetric.
    for (let j = 0; j < dim; j++)
      out[j] = ((out[j] as number) - (mean[j] as number) * projectedSum) / (n - 1);
    return out;
  };
}

function centredSumOfSquares(x: Tensor<FloatArray>, mean: Float64Array): number {
  const dim = mean.length;
  let sum = 0;
  for (let i = 0; i < x.data.length; i++) sum += ((x.data[i] as number) - (mean[i % dim] as number)) ** 2;
  return sum;
}

/** Residual of Ritz pair i is |β_m · s_{m,i}| (last component of its tridiagonal eigenvector). */
function hasConverged(
  vectors: Float64Array,
  values: Float64Array,
  m: number,
  k: number,
  beta: number,
): boolean {
  const largest = Math.abs(values[m - 1] as number);
  for (let i = m - k; i < m; i++) {
    if (Math.abs(beta * (vectors[(m - 1) * m + i] as number)) > RESIDUAL_TOLERANCE * largest) return false;
  }
  return true;
}

function buildModel(
  mean: Float64Array,
  totalVariance: number,
  ritz: { values: Float64Array; vectors: Float64Array },
  basis: Float64Array,
  m: number,
  dim: number,
  k: number,
): PcaModel {
  const components = new Float64Array(k * dim);
  const explainedVariance = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const ritzIndex = m - 1 - c; // descending
    explainedVariance[c] = Math.max(0, ritz.values[ritzIndex] as number);
    const row = components.subarray(c * dim, (c + 1) * dim);
    for (let q = 0; q < m; q++) {
      const weight = ritz.vectors[q * m + ritzIndex] as number;
      for (let j = 0; j < dim; j++) row[j] = (row[j] as number) + weight * (basis[q * dim + j] as number);
    }
    scaleTo(row, largestMagnitudeSign(row));
  }
  const explainedVarianceRatio = explainedVariance.map((value) =>
    totalVariance > 0 ? value / totalVariance : 0,
  );
  return {
    mean,
    components: { data: components, dims: [k, dim] },
    explainedVariance,
    explainedVarianceRatio,
  };
}

function largestMagnitudeSign(row: Float64Array): number {
  let best = 0;
  for (const value of row) if (Math.abs(value) > Math.abs(best)) best = value;
  return best < 0 ? -1 : 1;
}

function grow(values: Float64Array, length: number): Float64Array {
  const grown = new Float64Array(length);
  grown.set(values);
  return grown;
}

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] as number) * (b[i] as number);
  return sum;
}

/** Rescales `v` to norm |target| and multiplies by target's sign. */
function scaleTo(v: Float64Array, target: number): void {
  const norm = Math.sqrt(dot(v, v));
  const factor = norm > 0 ? target / norm : 0;
  for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) * factor;
}

function orthogonalize(w: Float64Array, basis: Float64Array, count: number, dim: number): void {
  for (let q = 0; q < count; q++) {
    const row = basis.subarray(q * dim, (q + 1) * dim);
    const projection = dot(row, w);
    for (let j = 0; j < dim; j++) w[j] = (w[j] as number) - projection * (row[j] as number);
  }
}

function randomUnitVector(dim: number, prng: ReturnType<typeof createPrng>): Float64Array {
  const v = new Float64Array(dim).map(() => prng.nextGaussian());
  scaleTo(v, 1);
  return v;
}
