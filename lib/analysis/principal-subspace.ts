import {
  columnMeans,
  type FloatArray,
  matmulTransposeA,
  matmulTransposeB,
  matrixDims,
  type Tensor,
} from "~/lib/tensor";
import { AnalysisInputError } from "./errors";
import { type Prng, shuffledIndices } from "./prng";

// Rows the basis is estimated from: a seeded sample this large pins down a 64-D principal subspace as well as
// all the rows do, and keeps the range finder's cost (two of its three products) independent of n.
const BASIS_SAMPLE_ROWS = 10_000;

/**
 * Coordinates of the centred rows in an orthonormal basis of (approximately) their top-`dims` principal
 * subspace, by a randomised range finder with one power iteration (Halko, Martinsson & Tropp 2011):
 * Z = X̄ᵀX̄Ω for a Gaussian Ω [dim, dims], V = orth(Z), result X̄V. Cost 3·n·dim·dims multiply-adds, a fraction
 * of a converged PCA; distances within the subspace do not depend on how V is rotated, so neighbour search
 * can run there — standard practice before UMAP on high-dimensional features. Past BASIS_SAMPLE_ROWS rows, V is
 * found from a seeded sample of that many rows (then only the final projection grows with n).
 */
export function projectToPrincipalSubspace(
  x: Tensor<FloatArray>, // [n, dim]
  dims: number,
  prng: Prng,
): Tensor<Float32Array> {
  const [n, dim] = matrixDims(x, "X");
  if (!Number.isInteger(dims) || dims < 1 || dims > dim) {
    throw new AnalysisInputError(`subspace dims must be in [1, ${dim}], got ${dims}`);
  }
  const sample = n > BASIS_SAMPLE_ROWS ? sampleRows(x, BASIS_SAMPLE_ROWS, prng) : x;
  const sampleMean = columnMeans(sample);
  // Bases are kept transposed ([dims, dim], one vector per row) so every product is a row-by-row dot product.
  const sketch = new Float64Array(dims * dim).map(() => prng.nextGaussian()); // Ωᵀ [dims, dim]
  const range = centredProduct(sample, sampleMean, { data: sketch, dims: [dims, dim] }); // X̄Ω [rows, dims]
  // (X̄ᵀX̄Ω)ᵀ = (X̄Ω)ᵀX because the columns of X̄Ω sum to zero.
  const basis = matmulTransposeA(range, sample); // Zᵀ [dims, dim]
  orthonormalizeRows(basis.data, dims, dim);
  const mean = sample === x ? sampleMean : columnMeans(x);
  const projected = centredProduct(x, mean, basis).data; // [n, dims]
  return {
    data: projected instanceof Float32Array ? projected : Float32Array.from(projected),
    dims: [n, dims],
  };
}

/** A seeded sample of `count` rows, in their original order. */
function sampleRows(x: Tensor<FloatArray>, count: number, prng: Prng): Tensor<Float32Array> {
  const [n, dim] = matrixDims(x);
  const rows = shuffledIndices(n, prng).slice(0, count).sort();
  const data = new Float32Array(count * dim); // [count, dim]
  rows.forEach((row, r) => {
    data.set(x.data.subarray(row * dim, (row + 1) * dim), r * dim);
  });
  return { data, dims: [count, dim] };
}

/** (X − 1μᵀ) Bᵀ for Bᵀ given as [cols, dim], stored like X (sums in float64), without a centred copy of X. */
function centredProduct(
  x: Tensor<FloatArray>,
  mean: Float64Array,
  transposed: Tensor<Float64Array>,
): Tensor<FloatArray> {
  const [n] = matrixDims(x);
  const [cols, dim] = matrixDims(transposed);
  const product = matmulTransposeB(x, transposed);
  const shift = matmulTransposeB({ data: mean, dims: [1, dim] }, transposed).data; // μᵀB [cols]
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < cols; c++)
      product.data[i * cols + c] = (product.data[i * cols + c] as number) - (shift[c] as number);
  }
  return product;
}

/** Modified Gram–Schmidt on the rows of a [rows, cols] matrix (a dependent row becomes zero). */
function orthonormalizeRows(m: Float64Array, rows: number, cols: number): void {
  for (let r = 0; r < rows; r++) {
    const row = m.subarray(r * cols, (r + 1) * cols);
    for (let p = 0; p < r; p++) {
      const previous = m.subarray(p * cols, (p + 1) * cols);
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += (row[c] as number) * (previous[c] as number);
      for (let c = 0; c < cols; c++) row[c] = (row[c] as number) - dot * (previous[c] as number);
    }
    let norm = 0;
    for (let c = 0; c < cols; c++) norm += (row[c] as number) ** 2;
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let c = 0; c < cols; c++) row[c] = (row[c] as number) * scale;
  }
}
