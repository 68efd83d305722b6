import { base64OfTypedArray } from "~/lib/codec/base64";
import { meanOfPatchTokens, stackRows } from "~/lib/tensor";
import { HELD_OUT_FRACTION, loadAlignmentInputs } from "~/server/services/analysis/alignment-inputs";
import {
  type ComparedRun,
  resolveComparedRuns,
  sourceLabel,
} from "~/server/services/analysis/alignment-runs";
import { alignmentSources, CONCAT_ALL } from "~/server/services/analysis/alignment-sources";
import type { AlignmentResult, AlignmentRun } from "~/server/services/analysis/alignment-types";
import { runInComputeThread } from "~/server/services/analysis/compute-thread";
import type { TextFeatureProvider } from "~/server/services/analysis/text-features";
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
  /** The language model of a named model folder: the text run's, when the server serves several. */
  textFeaturesOf?: (modelDir: string) => TextFeatureProvider;
}

/**
 * An `alignment` job over one run or several runs of one dataset (paper Figs. 4–5): caption features from the text
 * run's language model, then one probe per visual source of every run (kept sources, the raw concatenation and its
 * leave-one-out ablations), all on the images every run encoded with the same batch size, steps, seed and
 * held-out split; image→text recall; and the CKA matrix of every run's kept sources and the text. The result (see
 * AlignmentResult) is stored on the job row.
 */
export function alignmentJobHandler(deps: AlignmentJobDeps): JobHandler<"alignment"> {
  return {
    run: async ({ payload, reportProgress, signal }): Promise<AlignmentResult> => {
      const { db } = deps;
      const compared = await resolveComparedRuns(db, payload.runId, payload.comparisonRunIds);
      const runs = compared.map(({ runId, name, label, isTextRun }) => ({ runId, name, label, isTextRun }));
      const textRun = compared.find((run) => run.isTextRun);
      const textFeatures =
        textRun === undefined
          ? deps.textFeatures
          : (deps.textFeaturesOf?.(textRun.modelDir) ?? deps.textFeatures);
      const inputs = await loadAlignmentInputs({ db, runs: compared });

      const pooledText: Float32Array[] = [];
      for (let start = 0; start < inputs.captions.length; start += TEXT_BATCH) {
        if (signal.aborted) throw new Error("cancelled");
        const batch = inputs.captions.slice(start, start + TEXT_BATCH);
        const features = await withRetries(TEXT_ATTEMPTS, () => textFeatures.embed(batch));
        if (features.length !== batch.length)
          throw new Error(`asked for ${batch.length} caption features, got ${features.length}`);
        pooledText.push(...features.map((f) => meanOfPatchTokens(f)));
        reportProgress((TEXT_SHARE * (start + batch.length)) / inputs.captions.length);
      }
      const text = stackRows(pooledText, "caption features");
      const textModel = await textFeatures.modelFingerprint();

      // Every run's sources under their labels; `origin` maps a label back to its run and stored source name.
      const origin = new Map<string, { runId: string; source: string }>();
      const visual = compared.flatMap((run, r) =>
        alignmentSources(run.sources, inputs.pooled.get(run.runId) ?? new Map()).map((s) => {
          const label = sourceLabel(runs, runs[r] as AlignmentRun, s.name);
          origin.set(label, { runId: run.runId, source: s.name });
          return { name: label, visual: s.visual };
        }),
      );
      const labelled = (run: ComparedRun, names: readonly string[]) =>
        names.map((name) => sourceLabel(runs, run, name));
      const requested = compared[0] as ComparedRun;
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
          ckaSources: compared.flatMap((run) => labelled(run, [...run.sources, CONCAT_ALL])),
          probeSources: labelled(requested, requested.sources),
        },
        { signal, onProgress: (f) => reportProgress(TEXT_SHARE + f * (1 - TEXT_SHARE)) },
      );
      return {
        runId: payload.runId,
        runs,
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
          isTextModelOfRun: textModel === null ? null : textModel === textRun?.modelHash,
          textDim: text.dims[1] ?? 0,
        },
        rows: rows.map((row) => {
          const from = origin.get(row.source);
          return { ...row, source: from?.source ?? row.source, runId: from?.runId, label: row.source };
        }),
        cka,
        // Text search maps a phrase through the requested run's probes, found by their stored source name.
        probes: probes.map((probe) => ({
          source: origin.get(probe.source)?.source ?? probe.source,
          dims: probe.dims,
          weight: base64OfTypedArray(probe.weight),
          bias: base64OfTypedArray(probe.bias),
        })),
      };
    },
  };
}
