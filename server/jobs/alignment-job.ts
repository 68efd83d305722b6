import { base64OfTypedArray } from "~/lib/codec/base64";
import { meanOfPatchTokens, stackRows } from "~/lib/tensor";
import { HELD_OUT_FRACTION, loadAlignmentInputs } from "~/server/services/analysis/alignment-inputs";
import { alignmentSources, CONCAT_ALL } from "~/server/services/analysis/alignment-sources";
import type { AlignmentResult } from "~/server/services/analysis/alignment-types";
import { runInComputeThread } from "~/server/services/analysis/compute-thread";
import type { TextFeatureProvider } from "~/server/services/analysis/text-features";
import { keptSourcesOf } from "~/server/services/runs/kept-sources";
import type { Db } from "~/server/store/db";
import type { JobHandler } from "./job-lifecycle";
import { withRetries } from "./with-retries";

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
  textFeatures: TextFeatureProvider;
}

/**
 * An `alignment` job: caption features from the language model, then one probe per visual source (kept sources,
 * the raw concatenation and its leave-one-out ablations), image→text recall, and the CKA matrix of the kept
 * sources and the text. The result (see AlignmentResult) is stored on the job row.
 */
export function alignmentJobHandler(deps: AlignmentJobDeps): JobHandler<"alignment"> {
  return {
    run: async ({ payload, reportProgress, signal }): Promise<AlignmentResult> => {
      const { db } = deps;
      const run = await db.run.findUniqueOrThrow({
        where: { id: payload.runId },
        select: { modelHash: true },
      });
      const { sources: kept } = await keptSourcesOf(db, payload.runId);
      const inputs = await loadAlignmentInputs({ db, runId: payload.runId, sources: kept });

      const pooledText: Float32Array[] = [];
      for (let start = 0; start < inputs.captions.length; start += TEXT_BATCH) {
        if (signal.aborted) throw new Error("cancelled");
        const batch = inputs.captions.slice(start, start + TEXT_BATCH);
        const features = await withRetries(TEXT_ATTEMPTS, () => deps.textFeatures.embed(batch));
        if (features.length !== batch.length)
          throw new Error(`asked for ${batch.length} caption features, got ${features.length}`);
        pooledText.push(...features.map((f) => meanOfPatchTokens(f)));
        reportProgress((TEXT_SHARE * (start + batch.length)) / inputs.captions.length);
      }
      const text = stackRows(pooledText, "caption features");
      const textModel = await deps.textFeatures.modelFingerprint();

      const visual = alignmentSources(kept, inputs.pooled);
      const { rows, cka, training, probes } = await runInComputeThread(
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
          probeSources: kept,
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
        probes: probes.map((probe) => ({
          source: probe.source,
          dims: probe.dims,
          weight: base64OfTypedArray(probe.weight),
          bias: base64OfTypedArray(probe.bias),
        })),
      };
    },
  };
}
