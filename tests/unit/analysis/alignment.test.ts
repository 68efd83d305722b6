import { describe, expect, it } from "vitest";
import {
  AnalysisInputError,
  alignmentLoss,
  alignmentLossWithGradient,
  alignmentTable,
  createPrng,
  imageToTextRecall,
  initLinearProjection,
  type LinearProjection,
  trainAlignment,
} from "~/lib/analysis";
import type { Tensor } from "~/lib/tensor";

/** Paired features where text is a fixed random linear map of the visual features plus noise. */
function pairedFeatures(images: number, visualDim: number, textDim: number, seed = 3) {
  const prng = createPrng(seed);
  const visual = new Float64Array(images * visualDim).map(() => prng.nextGaussian()); // [images, visualDim]
  const map = new Float64Array(visualDim * textDim).map(() => prng.nextGaussian());
  const text = new Float64Array(images * textDim); // [images, textDim]
  for (let i = 0; i < images; i++) {
    for (let t = 0; t < textDim; t++) {
      let sum = 0.3 * prng.nextGaussian();
      for (let v = 0; v < visualDim; v++)
        sum += (visual[i * visualDim + v] as number) * (map[v * textDim + t] as number);
      text[i * textDim + t] = sum / Math.sqrt(visualDim);
    }
  }
  return {
    visual: { data: visual, dims: [images, visualDim] } as Tensor<Float64Array>,
    text: { data: text, dims: [images, textDim] } as Tensor<Float64Array>,
  };
}

describe("alignment loss", () => {
  const { visual, text } = pairedFeatures(8, 6, 5);
  const projection = initLinearProjection(6, 5, createPrng(9));

  it("has the analytic gradient (central differences)", () => {
    const { loss, gradWeight, gradBias } = alignmentLossWithGradient(
      projection,
      { visual, text },
      { temperature: 0.2 },
    );
    expect(loss).toBeCloseTo(alignmentLoss(projection, { visual, text }, { temperature: 0.2 }), 12);
    const step = 1e-6;
    const nudged = (which: "weight" | "bias", index: number, delta: number): LinearProjection => {
      const weight = Float64Array.from(projection.weight.data);
      const bias = Float64Array.from(projection.bias);
      const target = which === "weight" ? weight : bias;
      target[index] = (target[index] as number) + delta;
      return { weight: { data: weight, dims: projection.weight.dims }, bias };
    };
    for (const [which, index, analytic] of [
      ["weight", 0, gradWeight.data[0]],
      ["weight", 17, gradWeight.data[17]],
      ["bias", 3, gradBias[3]],
    ] as const) {
      const numeric =
        (alignmentLoss(nudged(which, index, step), { visual, text }, { temperature: 0.2 }) -
          alignmentLoss(nudged(which, index, -step), { visual, text }, { temperature: 0.2 })) /
        (2 * step);
      expect(Math.abs(numeric - (analytic as number))).toBeLessThan(1e-7);
    }
  });

  it("is exactly ln N when the captions cannot be told apart", () => {
    const sameCaption = { data: new Float64Array(8 * 5).map((_, i) => (i % 5) + 1), dims: [8, 5] };
    expect(alignmentLoss(projection, { visual, text: sameCaption })).toBeCloseTo(Math.log(8), 12);
  });
});

describe("trainAlignment", () => {
  const { visual, text } = pairedFeatures(200, 16, 12);
  const options = { visual, text, batchSize: 16, steps: 150, learningRate: 0.01, seed: 7, evalEvery: 25 };

  it("learns the pairing: held-out loss falls well below ln N and retrieval beats chance", () => {
    const progress: number[] = [];
    const result = trainAlignment({ ...options, onProgress: (f) => progress.push(f) });
    expect(result.chanceLoss).toBeCloseTo(Math.log(16), 12);
    expect(result.trainLosses).toHaveLength(150);
    expect(result.heldOutIndices).toHaveLength(40);
    expect(new Set([...result.trainIndices, ...result.heldOutIndices]).size).toBe(200);
    expect(Array.from(result.heldOutCurve.steps)).toEqual([25, 50, 75, 100, 125, 150]);
    expect(result.heldOutLoss).toBe(result.heldOutCurve.losses.at(-1));
    const firstTen = result.trainLosses.slice(0, 10).reduce((a, b) => a + b) / 10;
    const lastTen = result.trainLosses.slice(-10).reduce((a, b) => a + b) / 10;
    expect(lastTen).toBeLessThan(firstTen);
    expect(result.heldOutLoss).toBeLessThan(result.chanceLoss - 0.3);
    expect(progress.at(-1)).toBe(1);

    const heldOutVisual = { data: new Float64Array(40 * 16), dims: [40, 16] };
    const heldOutText = { data: new Float64Array(40 * 12), dims: [40, 12] };
    result.heldOutIndices.forEach((image, row) => {
      heldOutVisual.data.set(visual.data.subarray(image * 16, (image + 1) * 16), row * 16);
      heldOutText.data.set(text.data.subarray(image * 12, (image + 1) * 12), row * 12);
    });
    const [r1, r5] = imageToTextRecall(result.projection, heldOutVisual, heldOutText);
    expect(r1?.k).toBe(1);
    expect(r1?.recall).toBeGreaterThan(5 / 40); // chance is 1/40
    expect(r5?.recall).toBeGreaterThanOrEqual(r1?.recall as number);
  });

  it("is reproducible with a seed and differs with another", () => {
    const a = trainAlignment({ ...options, steps: 20 });
    const b = trainAlignment({ ...options, steps: 20 });
    const c = trainAlignment({ ...options, steps: 20, seed: 8 });
    expect(Array.from(a.trainLosses)).toEqual(Array.from(b.trainLosses));
    expect(a.heldOutLoss).toBe(b.heldOutLoss);
    expect(Array.from(c.trainLosses)).not.toEqual(Array.from(a.trainLosses));
  });

  it("trains with plain SGD too", () => {
    const result = trainAlignment({ ...options, optimizer: "sgd", learningRate: 1, steps: 60 });
    expect(result.settings.optimizer).toBe("sgd");
    expect(result.heldOutLoss).toBeLessThan(result.chanceLoss);
  });

  it("refuses splits too small for the batch size", () => {
    expect(() => trainAlignment({ ...options, batchSize: 64 })).toThrow(AnalysisInputError);
  });
});

describe("alignmentTable", () => {
  it("trains every source on the same split and ranks an informative source above noise", () => {
    const { visual, text } = pairedFeatures(160, 16, 12);
    const prng = createPrng(11);
    const noise = { data: new Float64Array(160 * 16).map(() => prng.nextGaussian()), dims: [160, 16] };
    const progress: number[] = [];
    const rows = alignmentTable(
      [
        { name: "informative", visual },
        { name: "noise", visual: noise },
      ],
      { text, batchSize: 16, steps: 80, learningRate: 0.01, seed: 5, onProgress: (f) => progress.push(f) },
    );
    expect(rows.map((row) => row.source)).toEqual(["informative", "noise"]);
    expect(Array.from(rows[0]?.training.heldOutIndices ?? [])).toEqual(
      Array.from(rows[1]?.training.heldOutIndices ?? []),
    );
    expect(rows[0]?.heldOutLoss).toBeLessThan((rows[1]?.heldOutLoss as number) - 0.2);
    expect(rows[0]?.recall[0]?.recall).toBeGreaterThan(rows[1]?.recall[0]?.recall as number);
    expect(progress.at(-1)).toBe(1);
    expect(Math.max(...progress.slice(0, 80))).toBeLessThanOrEqual(0.5);
  });
});
