import {
  type FloatArray,
  l2NormalizeRows,
  matmulTransposeB,
  matrixDims,
  type Tensor,
  toFloat64,
} from "~/lib/tensor";
import { AnalysisInputError } from "./errors";
import { applyProjection, type LinearProjection } from "./linear-projection";

export interface RecallAtK {
  k: number;
  recall: number;
}

/**
 * Image→text retrieval with the fitted alignment probe: image i ranks every caption by the cosine of P(f_v)
 * and f_t; R@k is the fraction of images whose own caption is among the top k. A caption scoring exactly as
 * high as the true one does not push it down (ties count in its favour).
 */
export function imageToTextRecall(
  projection: LinearProjection,
  visual: Tensor<FloatArray>, // [images, visualDim] pooled
  text: Tensor<FloatArray>, // [images, textDim] pooled, same image order
  ks: readonly number[] = [1, 5],
): RecallAtK[] {
  const [n] = matrixDims(visual, "visual");
  const [textRows] = matrixDims(text, "text");
  if (textRows !== n) throw new AnalysisInputError(`${n} images but ${textRows} captions`);
  if (n === 0) throw new AnalysisInputError("retrieval needs at least one image");
  const visualUnit = l2NormalizeRows(applyProjection(projection, visual)).normalized;
  const textUnit = l2NormalizeRows(toFloat64(text)).normalized;
  const similarity = matmulTransposeB(visualUnit, textUnit).data; // [images, captions]
  const hits = new Float64Array(ks.length);
  for (let i = 0; i < n; i++) {
    const own = similarity[i * n + i] as number;
    let rank = 0;
    for (let j = 0; j < n; j++) if ((similarity[i * n + j] as number) > own) rank++;
    ks.forEach((k, index) => {
      if (rank < k) hits[index] = (hits[index] as number) + 1;
    });
  }
  return ks.map((k, index) => ({ k, recall: (hits[index] as number) / n }));
}
