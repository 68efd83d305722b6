import { z } from "zod";
import type { Tensor } from "~/lib/tensor";
import { HELD_OUT_FRACTION, loadAlignmentInputs } from "~/server/services/analysis/alignment-inputs";
import { alignmentSources, CONCAT_ALL } from "~/server/services/analysis/alignment-sources";
import type { AlignmentResult } from "~/server/services/analysis/alignment-types";
import { runInComputeThread } from "~/server/services/analysis/compute-thread";
import { keptSourcesOf } from "~/server/services/analysis/projection-inputs";
import type { TextFeatureProvider } from "~/server/services/analysis/text-features";
import type { Db } from "~/server/store/db";
import { runTrackedJob } from "./job-lifecycle";
import type { ClaimedJob, JobQueue } from "./job-queue";

const payloadSchema = z.object({
  runId: z.string(),
  batchSize: z.number().int().min(2),
  seed: z.number().int(),
  steps: z.number().int().min(1),
});

// Captions per request to the inference server: one language-model pass each, a batch is a few seconds on a CPU.
const TEXT_BATCH = 64;
// Share of the job's progress spent on caption features (the rest is probe training and CKA).
const TEXT_SHARE = 0.3;
// The held-out loss is evaluated every this many steps: the curves' resolution.
const EVAL_EVERY = 10;
// An unreachable inference server is retried this many times (with growing pauses) before the job fails.
const TEXT_ATTEMPTS = 3;

export interface AlignmentJobDeps {
  db: Db;
  queue: JobQueue;
  workerId: string;
  textFeatures: TextFeatureProvider;
}

/**
 * An `alignment` job: caption features from the language model, then one probe per visual source (kept sources,
 * the raw concatenation and its leave-one-out ablations), image→text recall, and the CKA matrix of the kept
 * sources and the text. The result (see AlignmentResult) is stored on the job row.
 */
export async function processAlignmentJob(deps: AlignmentJobDeps, job: ClaimedJob): Promise<void> {
  await runTrackedJob(deps, job, async ({ reportProgress, signal }): Promise<AlignmentResult> => {
    const payload = payloadSchema.parse(job.payload);
    const { db } = deps;
    const run = await db.run.findUniqueOrThrow({ where: { id: payload.runId }, select: { modelHash: true } });
    const { sources: kept } = await keptSourcesOf(db, payload.runId);
    const inputs = await loadAlignmentInputs({ db, runId: payload.runId, sources: kept });

    const pooledText: Float32Array[] = [];
    for (let start = 0; start < inputs.captions.length; start += TEXT_BATCH) {
      if (signal.aborted) throw new Error("cancelled");
      const batch = inputs.captions.slice(start, start + TEXT_BATCH);
      const features = await withRetries(() => deps.textFeatures.embed(batch));
      if (features.length !== batch.length)
        throw new Error(`asked for ${batch.length} caption features, got ${features.length}`);
      pooledText.push(...features.map(meanOverTokens));
      reportProgress((TEXT_SHARE * (start + batch.length)) / inputs.captions.length);
    }
    const text = stackRows(pooledText);
    const textModel = await deps.textFeatures.modelFingerprint();

    const visual = alignmentSources(kept, inputs.pooled);
    const { rows, cka, training } = await runInComputeThread(
      {
        kind: "alignment",
        sources: visual,
        text,
        training: {
          batchSize: payload.batchSize,
          seed: payload.seed,
          steps: payload.steps,
          evalEvery: EVAL_EVERY,
          heldOutFraction: HELD_OUT_FRACTION,
        },
        ckaSources: [...kept, CONCAT_ALL],
      },
      { signal, onProgress: (f) => reportProgress(TEXT_SHARE + f * (1 - TEXT_SHARE)) },
    );
    return {
      runId: payload.runId,
      settings: {
        batchSize: payload.batchSize,
        seed: payload.seed,
        steps: payload.steps,
        evalEvery: EVAL_EVERY,
        optimizer: training.optimizer,
        learningRate: training.learningRate,
        heldOutFraction: training.heldOutFraction,
        images: inputs.imageIds.length,
        trainImages: training.trainImages,
        heldOutImages: training.heldOutImages,
        skippedWithoutCaption: inputs.skippedWithoutCaption,
        textModel,
        isTextModelOfRun: textModel === null ? null : textModel === run.modelHash,
        textDim: text.dims[1] ?? 0,
      },
      rows,
      cka,
    };
  });
}

/** Mean over a caption's tokens: [tokens, hidden] → [hidden] (the paper pools f_t the same way). */
function meanOverTokens(features: Tensor<Float32Array>): Float32Array {
  const [tokens = 0, hidden = 0] = features.dims;
  const { data } = features;
  const sum = new Float64Array(hidden);
  for (let t = 0; t < tokens; t++)
    for (let j = 0; j < hidden; j++) sum[j] = (sum[j] as number) + (data[t * hidden + j] as number);
  return Float32Array.from(sum, (v) => v / Math.max(1, tokens));
}

function stackRows(rows: readonly Float32Array[]): Tensor<Float32Array> {
  const width = rows[0]?.length ?? 0;
  const out = new Float32Array(rows.length * width);
  rows.forEach((row, i) => {
    if (row.length !== width) throw new Error(`caption features differ in width (${width} vs ${row.length})`);
    out.set(row, i * width);
  });
  return { data: out, dims: [rows.length, width] };
}

async function withRetries<T>(work: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (error) {
      if (attempt >= TEXT_ATTEMPTS) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** attempt));
    }
  }
}
