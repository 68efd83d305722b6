import { type FloatArray, matmul, matrixDims, type Tensor, toFloat64 } from "~/lib/tensor";
import { AnalysisInputError } from "./errors";
import type { Prng } from "./prng";

/** The alignment probe P: `x ↦ x W + b`, trained on visual features, applied before pooling or after (linear). */
export interface LinearProjection {
  weight: Tensor<Float64Array>; // [inputDim, outputDim]
  bias: Float64Array; // [outputDim]
}

/** PyTorch's `nn.Linear` initialisation: weight and bias uniform in ±1/√inputDim. */
export function initLinearProjection(inputDim: number, outputDim: number, prng: Prng): LinearProjection {
  const bound = 1 / Math.sqrt(inputDim);
  const weight = new Float64Array(inputDim * outputDim).map(() => (2 * prng.next() - 1) * bound);
  const bias = new Float64Array(outputDim).map(() => (2 * prng.next() - 1) * bound);
  return { weight: { data: weight, dims: [inputDim, outputDim] }, bias };
}

/** `X W + b` for X [n, inputDim] → [n, outputDim] in float64. */
export function applyProjection(
  projection: LinearProjection,
  features: Tensor<FloatArray>,
): Tensor<Float64Array> {
  const [n, inputDim] = matrixDims(features, "features");
  const [weightRows, outputDim] = matrixDims(projection.weight, "weight");
  if (inputDim !== weightRows) {
    throw new AnalysisInputError(`features have ${inputDim} dims but the projection expects ${weightRows}`);
  }
  const product = matmul(toFloat64(features), projection.weight);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < outputDim; j++) {
      product.data[i * outputDim + j] =
        (product.data[i * outputDim + j] as number) + (projection.bias[j] as number);
    }
  }
  return product;
}
