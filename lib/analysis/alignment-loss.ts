import {
  type FloatArray,
  l2NormalizeRows,
  matmul,
  matmulTransposeA,
  matmulTransposeB,
  matrixDims,
  type Tensor,
  toFloat64,
} from "~/lib/tensor";
import { AnalysisInputError } from "./errors";
import { applyProjection, type LinearProjection } from "./linear-projection";

// The Florence-VL paper's alignment loss (Sec. 4, Figs. 4–5): project visual tokens with P, average-pool P(f_v)
// and the caption's last-layer LLM states f_t over tokens, L2-normalise, and take the cross-entropy of
// softmax(F_v F_tᵀ) against identity targets over a batch of N pairs (one direction). P is linear, so pooling
// the visual tokens first and projecting the mean is exactly P's mean — callers pass pooled features.

export interface AlignmentBatch {
  visual: Tensor<FloatArray>; // [N, visualDim] token-mean of the visual source per image
  text: Tensor<FloatArray>; // [N, textDim] token-mean of the caption's last hidden states per image
}

export interface AlignmentLossOptions {
  /** Logits are `F_v F_tᵀ / temperature`; the paper uses plain cosine similarities, i.e. 1. */
  temperature?: number;
}

export interface AlignmentLossResult {
  loss: number;
  gradWeight: Tensor<Float64Array>; // [visualDim, textDim]
  gradBias: Float64Array; // [textDim]
}

interface Forward {
  loss: number;
  visualUnit: Tensor<Float64Array>; // [N, textDim]
  visualNorms: Float64Array; // [N]
  textUnit: Tensor<Float64Array>; // [N, textDim]
  probabilities: Float64Array; // [N, N] row-wise softmax of the logits
}

function forward(projection: LinearProjection, batch: AlignmentBatch, temperature: number): Forward {
  const [n] = matrixDims(batch.visual, "visual");
  const [textRows, textDim] = matrixDims(batch.text, "text");
  if (textRows !== n) throw new AnalysisInputError(`${n} visual rows but ${textRows} text rows`);
  if (projection.bias.length !== textDim) {
    throw new AnalysisInputError(
      `the projection outputs ${projection.bias.length} dims but text has ${textDim}`,
    );
  }
  const { normalized: visualUnit, norms: visualNorms } = l2NormalizeRows(
    applyProjection(projection, batch.visual),
  );
  const { normalized: textUnit } = l2NormalizeRows(toFloat64(batch.text));
  const logits = matmulTransposeB(visualUnit, textUnit).data; // [N, N]
  const probabilities = new Float64Array(n * n);
  let loss = 0;
  for (let i = 0; i < n; i++) {
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) max = Math.max(max, (logits[i * n + j] as number) / temperature);
    let sum = 0;
    for (let j = 0; j < n; j++) {
      const e = Math.exp((logits[i * n + j] as number) / temperature - max);
      probabilities[i * n + j] = e;
      sum += e;
    }
    for (let j = 0; j < n; j++) probabilities[i * n + j] = (probabilities[i * n + j] as number) / sum;
    loss += max + Math.log(sum) - (logits[i * n + i] as number) / temperature;
  }
  return { loss: loss / n, visualUnit, visualNorms, textUnit, probabilities };
}

/** The loss of one batch (natural log, mean over the N rows). */
export function alignmentLoss(
  projection: LinearProjection,
  batch: AlignmentBatch,
  { temperature = 1 }: AlignmentLossOptions = {},
): number {
  return forward(projection, batch, temperature).loss;
}

/** The loss and its analytic gradient with respect to P's weight and bias. */
export function alignmentLossWithGradient(
  projection: LinearProjection,
  batch: AlignmentBatch,
  { temperature = 1 }: AlignmentLossOptions = {},
): AlignmentLossResult {
  const { loss, visualUnit, visualNorms, textUnit, probabilities } = forward(projection, batch, temperature);
  const [n, textDim] = matrixDims(visualUnit);
  // dL/dlogits = (softmax − I) / (N τ)
  const gradLogits = probabilities;
  for (let i = 0; i < n; i++) gradLogits[i * n + i] = (gradLogits[i * n + i] as number) - 1;
  for (let i = 0; i < n * n; i++) gradLogits[i] = (gradLogits[i] as number) / (n * temperature);
  const gradUnit = matmul({ data: gradLogits, dims: [n, n] }, textUnit).data; // [N, textDim]
  // Through u ↦ u/‖u‖: du = (dû − û (û·dû)) / ‖u‖
  const gradProjected = new Float64Array(n * textDim);
  const gradBias = new Float64Array(textDim);
  for (let i = 0; i < n; i++) {
    const norm = visualNorms[i] as number;
    if (norm === 0) continue;
    const offset = i * textDim;
    let dot = 0;
    for (let j = 0; j < textDim; j++)
      dot += (visualUnit.data[offset + j] as number) * (gradUnit[offset + j] as number);
    for (let j = 0; j < textDim; j++) {
      const g = ((gradUnit[offset + j] as number) - (visualUnit.data[offset + j] as number) * dot) / norm;
      gradProjected[offset + j] = g;
      gradBias[j] = (gradBias[j] as number) + g;
    }
  }
  const gradWeight = matmulTransposeA(batch.visual, { data: gradProjected, dims: [n, textDim] });
  return { loss, gradWeight, gradBias };
}
