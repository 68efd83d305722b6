import { type FloatArray, matrixDims, selectRows, type Tensor } from "~/lib/tensor";
import { type AlignmentBatch, alignmentLoss, alignmentLossWithGradient } from "./alignment-loss";
import { AnalysisInputError } from "./errors";
import { initLinearProjection, type LinearProjection } from "./linear-projection";
import { createPrng, shuffledIndices } from "./prng";
import { resolveOptions } from "./resolve-options";

export interface AlignmentTrainingOptions {
  visual: Tensor<FloatArray>; // [images, visualDim] pooled visual source
  text: Tensor<FloatArray>; // [images, textDim] pooled caption features, same image order
  /** N: losses are only comparable between runs with the same N (chance level ln N). */
  batchSize?: number;
  steps?: number;
  optimizer?: "adam" | "sgd";
  learningRate?: number;
  seed?: number;
  /** Fraction of images held out (chosen by the seed) for the held-out loss and retrieval. */
  heldOutFraction?: number;
  temperature?: number;
  /** Evaluate the held-out loss every this many steps (and always after the last). */
  evalEvery?: number;
  onProgress?: (fraction: number) => void;
}

export interface AlignmentTrainingResult {
  projection: LinearProjection;
  trainLosses: Float64Array; // [steps] loss of each step's batch, before its update
  heldOutCurve: { steps: Uint32Array; losses: Float64Array }; // [evaluations]
  heldOutLoss: number;
  /** ln N: the loss of a projection that cannot tell the batch's images apart. */
  chanceLoss: number;
  trainIndices: Uint32Array;
  heldOutIndices: Uint32Array;
  settings: Required<Omit<AlignmentTrainingOptions, "visual" | "text" | "onProgress">>;
}

// Defaults: the paper does not publish its probe's settings; these train the mini model's probe to a plateau
// in seconds. Adam's β and ε are PyTorch's.
const DEFAULTS = {
  batchSize: 32,
  steps: 300,
  optimizer: "adam",
  learningRate: 1e-3,
  seed: 0,
  heldOutFraction: 0.2,
  temperature: 1,
  evalEvery: 10,
} satisfies AlignmentTrainingResult["settings"];
const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/**
 * Trains the alignment probe P with a fixed seed: a seeded train/held-out split, batches of exactly N drawn
 * from a reshuffled train set each epoch (the remainder is dropped so every loss has chance level ln N), and
 * the held-out loss as the mean over fixed consecutive held-out batches of N.
 */
export function trainAlignment(options: AlignmentTrainingOptions): AlignmentTrainingResult {
  const settings = resolveOptions<AlignmentTrainingResult["settings"]>(DEFAULTS, options);
  const { batchSize, steps, seed, heldOutFraction, temperature, evalEvery } = settings;
  const [images, visualDim] = matrixDims(options.visual, "visual");
  const [textImages, textDim] = matrixDims(options.text, "text");
  if (textImages !== images)
    throw new AnalysisInputError(`${images} visual rows but ${textImages} text rows`);
  if (!Number.isInteger(batchSize) || batchSize < 2)
    throw new AnalysisInputError("batchSize must be an integer ≥ 2");
  const prng = createPrng(seed);
  const order = shuffledIndices(images, prng);
  const heldOutCount = Math.round(images * heldOutFraction);
  const heldOutIndices = order.slice(0, heldOutCount);
  const trainIndices = order.slice(heldOutCount);
  if (trainIndices.length < batchSize || heldOutIndices.length < batchSize) {
    throw new AnalysisInputError(
      `batch size ${batchSize} needs at least ${batchSize} train and ${batchSize} held-out images; ` +
        `got ${trainIndices.length} and ${heldOutIndices.length} of ${images} — add images or lower the batch size`,
    );
  }
  const projection = initLinearProjection(visualDim, textDim, prng);
  const step = createOptimizer(settings.optimizer, settings.learningRate, projection);
  const batchOf = (indices: Uint32Array): AlignmentBatch => ({
    visual: selectRows(options.visual, indices),
    text: selectRows(options.text, indices),
  });
  const heldOutBatches = Array.from({ length: Math.floor(heldOutIndices.length / batchSize) }, (_, b) =>
    batchOf(heldOutIndices.subarray(b * batchSize, (b + 1) * batchSize)),
  );
  const heldOut = () =>
    heldOutBatches.reduce((sum, batch) => sum + alignmentLoss(projection, batch, { temperature }), 0) /
    heldOutBatches.length;

  const trainLosses = new Float64Array(steps);
  const curveSteps: number[] = [];
  const curveLosses: number[] = [];
  const batchesPerEpoch = Math.floor(trainIndices.length / batchSize);
  let epochOrder: Uint32Array = trainIndices;
  for (let s = 0; s < steps; s++) {
    const inEpoch = s % batchesPerEpoch;
    if (inEpoch === 0) epochOrder = permute(trainIndices, shuffledIndices(trainIndices.length, prng));
    const batch = batchOf(epochOrder.subarray(inEpoch * batchSize, (inEpoch + 1) * batchSize));
    const { loss, gradWeight, gradBias } = alignmentLossWithGradient(projection, batch, { temperature });
    trainLosses[s] = loss;
    step(gradWeight.data, gradBias);
    if ((s + 1) % evalEvery === 0 || s === steps - 1) {
      curveSteps.push(s + 1);
      curveLosses.push(heldOut());
    }
    options.onProgress?.((s + 1) / steps);
  }
  return {
    projection,
    trainLosses,
    heldOutCurve: { steps: Uint32Array.from(curveSteps), losses: Float64Array.from(curveLosses) },
    heldOutLoss: curveLosses.at(-1) ?? heldOut(),
    chanceLoss: Math.log(batchSize),
    trainIndices,
    heldOutIndices,
    settings,
  };
}

function permute(values: Uint32Array, order: Uint32Array): Uint32Array {
  return order.map((i) => values[i] as number);
}

/** Returns an in-place update `(gradWeight, gradBias) => void` of the projection's parameters. */
function createOptimizer(
  kind: "adam" | "sgd",
  learningRate: number,
  projection: LinearProjection,
): (gradWeight: Float64Array, gradBias: Float64Array) => void {
  const parameters = [projection.weight.data, projection.bias];
  if (kind === "sgd") {
    return (...gradients) => {
      parameters.forEach((values, p) => {
        const gradient = gradients[p] as Float64Array;
        for (let i = 0; i < values.length; i++)
          values[i] = (values[i] as number) - learningRate * (gradient[i] as number);
      });
    };
  }
  const moments = parameters.map((values) => ({
    m: new Float64Array(values.length),
    v: new Float64Array(values.length),
  }));
  let t = 0;
  return (...gradients) => {
    t++;
    const correction1 = 1 - ADAM_BETA1 ** t;
    const correction2 = 1 - ADAM_BETA2 ** t;
    parameters.forEach((values, p) => {
      const gradient = gradients[p] as Float64Array;
      const { m, v } = moments[p] as { m: Float64Array; v: Float64Array };
      for (let i = 0; i < values.length; i++) {
        const g = gradient[i] as number;
        m[i] = ADAM_BETA1 * (m[i] as number) + (1 - ADAM_BETA1) * g;
        v[i] = ADAM_BETA2 * (v[i] as number) + (1 - ADAM_BETA2) * g * g;
        const denominator = Math.sqrt((v[i] as number) / correction2) + ADAM_EPSILON;
        values[i] = (values[i] as number) - (learningRate * (m[i] as number)) / correction1 / denominator;
      }
    });
  };
}
