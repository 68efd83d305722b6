import { describe, expect, it } from "vitest";
import {
  alignmentLossWithGradient,
  fitPca,
  linearCka,
  projectionQuality,
  transformPca,
} from "~/lib/analysis";
import { expectRelativelyClose, type GoldenMatrix, readGolden, tensorOf } from "./golden";

interface CkaCase {
  name: string;
  x: GoldenMatrix;
  y: GoldenMatrix;
  cka: number;
}

interface PcaCase {
  name: string;
  components_requested: number;
  x: GoldenMatrix;
  mean: number[];
  components: GoldenMatrix;
  explained_variance: number[];
  explained_variance_ratio: number[];
  transformed: GoldenMatrix;
}

interface QualityCase {
  high: GoldenMatrix;
  low: GoldenMatrix;
  k: number[];
  trustworthiness: number[];
  knn_recall: number[];
}

interface AlignmentCase {
  temperature: number;
  visual: GoldenMatrix;
  text: GoldenMatrix;
  weight: GoldenMatrix;
  bias: number[];
  loss: number;
  grad_weight: GoldenMatrix;
  grad_bias: number[];
}

// The bar: agreement with NumPy / scikit-learn within 1e-6 relative.
const TOLERANCE = 1e-6;

describe("lib/analysis against NumPy / scikit-learn golden files", () => {
  it.each(readGolden<CkaCase[]>("cka.json"))("linear CKA ($name)", ({ x, y, cka }) => {
    expectRelativelyClose([linearCka(tensorOf(x), tensorOf(y))], [cka], TOLERANCE);
    expectRelativelyClose([linearCka(tensorOf(x), tensorOf(x))], [1], TOLERANCE);
  });

  it.each(readGolden<PcaCase[]>("pca.json"))("PCA ($name)", (golden) => {
    const x = tensorOf(golden.x);
    const model = fitPca(x, { components: golden.components_requested });
    expectRelativelyClose(model.mean, golden.mean, TOLERANCE);
    expect(model.components.dims).toEqual(golden.components.shape);
    expectRelativelyClose(model.components.data, golden.components.data, TOLERANCE);
    expectRelativelyClose(model.explainedVariance, golden.explained_variance, TOLERANCE);
    expectRelativelyClose(model.explainedVarianceRatio, golden.explained_variance_ratio, TOLERANCE);
    expectRelativelyClose(transformPca(model, x).data, golden.transformed.data, TOLERANCE);
  });

  it("trustworthiness and k-NN recall", () => {
    const golden = readGolden<QualityCase>("projection-quality.json");
    golden.k.forEach((k, i) => {
      const quality = projectionQuality(tensorOf(golden.high), tensorOf(golden.low), { k });
      expect(quality.queries).toBe(golden.high.shape[0]);
      expectRelativelyClose([quality.trustworthiness], [golden.trustworthiness[i] as number], TOLERANCE);
      expectRelativelyClose([quality.knnRecall], [golden.knn_recall[i] as number], TOLERANCE);
    });
  });

  it.each(readGolden<AlignmentCase[]>("alignment-loss.json"))(
    "alignment loss and gradient (temperature $temperature)",
    (golden) => {
      const result = alignmentLossWithGradient(
        { weight: tensorOf(golden.weight), bias: Float64Array.from(golden.bias) },
        { visual: tensorOf(golden.visual), text: tensorOf(golden.text) },
        { temperature: golden.temperature },
      );
      expectRelativelyClose([result.loss], [golden.loss], TOLERANCE);
      expectRelativelyClose(result.gradWeight.data, golden.grad_weight.data, TOLERANCE);
      expectRelativelyClose(result.gradBias, golden.grad_bias, TOLERANCE);
    },
  );
});
