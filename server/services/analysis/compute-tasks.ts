import { alignmentTable } from "~/lib/analysis/alignment-table";
import { linearCka } from "~/lib/analysis/cka";
import { fitPca, transformPca } from "~/lib/analysis/pca";
import { type ProjectionQuality, projectionQuality } from "~/lib/analysis/projection-quality";
import { umapProject } from "~/lib/analysis/umap";
import type { Tensor } from "~/lib/tensor";
import type { AlignmentRow, CkaMatrix } from "./alignment-types";

/**
 * The CPU-heavy analyses a job hands to a compute thread (./compute-thread.ts), as plain data in and out so they
 * cross `postMessage`. Everything here is a pure function of its task.
 */
export type ComputeTask = ProjectionTask | AlignmentTask;

export interface ProjectionTask {
  kind: "projection";
  method: "umap" | "pca";
  features: Tensor<Float32Array>; // [n, dim]
  umap: { nNeighbors: number; minDist: number; seed: number; epochs?: number };
}

export interface ProjectionTaskResult {
  coords: Float32Array; // [n, 2]
  quality: ProjectionQuality | null;
}

export interface AlignmentTask {
  kind: "alignment";
  sources: { name: string; visual: Tensor<Float32Array> }[]; // each [images, dim], same image order
  text: Tensor<Float32Array>; // [images, hidden]
  training: { batchSize: number; seed: number; steps: number; evalEvery: number; heldOutFraction: number };
  /** Sources (by name) that enter the CKA matrix, besides the text features. */
  ckaSources: string[];
  /** Sources (by name) whose fitted probe P is returned (text search maps phrases through it). */
  probeSources: string[];
}

export interface AlignmentTaskResult {
  rows: AlignmentRow[];
  cka: CkaMatrix;
  /** The fitted probes of `probeSources`: weight [visualDim, textDim] and bias [textDim], float32. */
  probes: { source: string; weight: Float32Array; bias: Float32Array; dims: [number, number] }[];
  /** The probe settings every row was trained with (the library's defaults where the task left them open). */
  training: {
    optimizer: string;
    learningRate: number;
    heldOutFraction: number;
    trainImages: number;
    heldOutImages: number;
  };
}

export type ComputeResult<T extends ComputeTask> = T extends ProjectionTask
  ? ProjectionTaskResult
  : AlignmentTaskResult;

// Neighbourhood size of the quality score (scikit-learn's trustworthiness default is 5; 10 is steadier).
const QUALITY_K = 10;
// The exact quality score costs queries × n × dim; a seeded sample of queries keeps it to about this many
// multiply-adds (seconds) on large inputs, with at least QUALITY_MIN_QUERIES queries for a stable estimate.
const QUALITY_BUDGET = 2e9;
const QUALITY_MIN_QUERIES = 200;
// Share of a projection task's progress spent on the layout (the rest is the quality score).
const LAYOUT_SHARE = 0.85;
// Share of the alignment task spent training probes (the rest is the CKA matrix).
const TRAINING_SHARE = 0.9;

export function runComputeTask(task: ComputeTask, onProgress: (fraction: number) => void): unknown {
  return task.kind === "projection" ? runProjection(task, onProgress) : runAlignment(task, onProgress);
}

function runProjection(task: ProjectionTask, onProgress: (fraction: number) => void): ProjectionTaskResult {
  const [n = 0, dim = 0] = task.features.dims;
  const layout = (fraction: number) => onProgress(fraction * LAYOUT_SHARE);
  let coords: Float32Array;
  if (task.method === "pca") {
    const model = fitPca(task.features, { components: 2, seed: 0, onProgress: layout });
    coords = Float32Array.from(transformPca(model, task.features).data);
  } else {
    const { embedding } = umapProject(task.features, {
      nNeighbors: task.umap.nNeighbors,
      minDist: task.umap.minDist,
      seed: task.umap.seed,
      ...(task.umap.epochs === undefined ? {} : { epochs: task.umap.epochs }),
      onProgress: layout,
    });
    coords = embedding.data;
  }
  const k = Math.min(QUALITY_K, Math.ceil(n / 2) - 1);
  const sampleSize = Math.max(QUALITY_MIN_QUERIES, Math.floor(QUALITY_BUDGET / Math.max(1, n * dim)));
  const quality =
    k >= 1
      ? projectionQuality(
          task.features,
          { data: coords, dims: [n, 2] },
          {
            k,
            seed: task.umap.seed,
            ...(sampleSize < n ? { sampleSize } : {}),
            onProgress: (f) => onProgress(LAYOUT_SHARE + f * (1 - LAYOUT_SHARE)),
          },
        )
      : null;
  onProgress(1);
  return { coords, quality };
}

function runAlignment(task: AlignmentTask, onProgress: (fraction: number) => void): AlignmentTaskResult {
  const table = alignmentTable(task.sources, {
    text: task.text,
    batchSize: task.training.batchSize,
    seed: task.training.seed,
    steps: task.training.steps,
    evalEvery: task.training.evalEvery,
    heldOutFraction: task.training.heldOutFraction,
    onProgress: (f) => onProgress(f * TRAINING_SHARE),
  });
  const rows = table.map((row, index): AlignmentRow => {
    const curve = row.training.heldOutCurve;
    const steps = Array.from(curve.steps);
    const losses = row.training.trainLosses;
    // The per-batch training loss is noisy: report its mean over the steps since the previous evaluation.
    const trainLoss = steps.map((step, i) => {
      const from = i === 0 ? 0 : (steps[i - 1] as number);
      let sum = 0;
      for (let s = from; s < step; s++) sum += losses[s] as number;
      return sum / Math.max(1, step - from);
    });
    return {
      source: row.source,
      dim: task.sources[index]?.visual.dims[1] ?? 0,
      steps,
      trainLoss,
      heldOutCurve: Array.from(curve.losses),
      heldOutLoss: row.heldOutLoss,
      chance: row.training.chanceLoss,
      r1: row.recall.find((r) => r.k === 1)?.recall ?? 0,
      r5: row.recall.find((r) => r.k === 5)?.recall ?? 0,
    };
  });
  const named = new Map(task.sources.map((s) => [s.name, s.visual]));
  const spaces = [
    ...task.ckaSources.flatMap((name) => {
      const visual = named.get(name);
      return visual === undefined ? [] : [{ name, x: visual }];
    }),
    { name: "text", x: task.text },
  ];
  const matrix = spaces.map(() => spaces.map(() => null as number | null));
  const pairs = (spaces.length * (spaces.length + 1)) / 2;
  let done = 0;
  spaces.forEach((a, i) => {
    spaces.forEach((b, j) => {
      if (j < i) return;
      // A constant representation has no CKA: such a cell stays null.
      const value = i === j ? 1 : safeCka(a.x, b.x);
      (matrix[i] as (number | null)[])[j] = value;
      (matrix[j] as (number | null)[])[i] = value;
      onProgress(TRAINING_SHARE + (++done / pairs) * (1 - TRAINING_SHARE));
    });
  });
  const first = table[0]?.training;
  const probes = table.flatMap((row) => {
    if (!task.probeSources.includes(row.source)) return [];
    const { weight, bias } = row.training.projection;
    const [inputDim = 0, outputDim = 0] = weight.dims;
    return [
      {
        source: row.source,
        weight: Float32Array.from(weight.data),
        bias: Float32Array.from(bias),
        dims: [inputDim, outputDim] as [number, number],
      },
    ];
  });
  return {
    rows,
    probes,
    cka: { sources: spaces.map((s) => s.name), matrix },
    training: {
      optimizer: first?.settings.optimizer ?? "",
      learningRate: first?.settings.learningRate ?? 0,
      heldOutFraction: first?.settings.heldOutFraction ?? 0,
      trainImages: first?.trainIndices.length ?? 0,
      heldOutImages: first?.heldOutIndices.length ?? 0,
    },
  };
}

function safeCka(x: Tensor<Float32Array>, y: Tensor<Float32Array>): number | null {
  try {
    const value = linearCka(x, y);
    return Number.isFinite(value) ? value : null;
  } catch {
    return null;
  }
}
