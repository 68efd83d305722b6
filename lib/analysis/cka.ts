import {
  centerColumns,
  type FloatArray,
  matmulTransposeA,
  matmulTransposeB,
  matrixDims,
  type Tensor,
} from "~/lib/tensor";
import { AnalysisInputError } from "./errors";

/**
 * Linear CKA (Kornblith et al. 2019) between two representations of the same samples — images (pooled
 * features) or image tokens (token-level) — in rows: ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) after centring columns.
 * Everything accumulates in float64. When samples are fewer than features the same quantities are taken from
 * the n×n Gram matrices (‖YᵀX‖²_F = ⟨XXᵀ, YYᵀ⟩_F), which is cheaper and algebraically identical.
 */
export function linearCka(x: Tensor<FloatArray>, y: Tensor<FloatArray>): number {
  const [n, dx] = matrixDims(x, "X");
  const [ny, dy] = matrixDims(y, "Y");
  if (n !== ny) throw new AnalysisInputError(`CKA needs the same samples in both: ${n} rows vs ${ny}`);
  if (n < 2) throw new AnalysisInputError("CKA needs at least 2 samples");
  const xc = centerColumns(x);
  const yc = centerColumns(y);
  const featureSpaceCost = dx * dx + dy * dy + dx * dy;
  const sampleSpaceCost = n * (dx + dy);
  let cross: number;
  let selfX: number;
  let selfY: number;
  if (featureSpaceCost <= sampleSpaceCost) {
    cross = sumOfSquares(matmulTransposeA(yc, xc).data);
    selfX = sumOfSquares(matmulTransposeA(xc, xc).data);
    selfY = sumOfSquares(matmulTransposeA(yc, yc).data);
  } else {
    const gramX = matmulTransposeB(xc, xc).data;
    const gramY = matmulTransposeB(yc, yc).data;
    cross = 0;
    for (let i = 0; i < gramX.length; i++) cross += (gramX[i] as number) * (gramY[i] as number);
    selfX = sumOfSquares(gramX);
    selfY = sumOfSquares(gramY);
  }
  const denominator = Math.sqrt(selfX) * Math.sqrt(selfY);
  if (denominator === 0) throw new AnalysisInputError("CKA is undefined for a constant representation");
  return cross / denominator;
}

function sumOfSquares(values: Float64Array): number {
  let sum = 0;
  for (const value of values) sum += value * value;
  return sum;
}
