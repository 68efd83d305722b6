import type { FeatureStore } from "~/server/features/feature-store";
import type { TextFeatureProvider } from "~/server/services/analysis/text-features";
import type { InferenceClient } from "~/server/services/inference-client";
import { markRunEnded } from "~/server/services/runs/run-status";
import type { Db } from "~/server/store/db";
import { alignmentJobHandler } from "./alignment-job";
import { encodeRun, encodeRunImages, type RunCounts } from "./encode-run";
import { type FanOutOptions, fanOutEncodeRun } from "./fan-out-encode-run";
import type { JobKind } from "./job-kinds";
import type { JobHandler } from "./job-lifecycle";
import { projectionJobHandler } from "./projection-job";

export interface HandlerDeps {
  db: Db;
  dataDir: string;
  inference: InferenceClient;
  features: FeatureStore;
  textFeatures: TextFeatureProvider;
  /** Caption features of a named model folder (an alignment job's text run); `textFeatures` when absent. */
  textFeaturesOf?: (modelDir: string) => TextFeatureProvider;
  /** Per-batch counts of encode runs (the CLI's progress bar). */
  onRunProgress?: (counts: RunCounts) => void;
  /** Images finished per batch, by this process (the worker's images/s). */
  onImagesFinished?: (count: number) => void;
  /** Encode runs fan out as encode-batch jobs across workers (scale-out); without it a run encodes in its job. */
  fanOut?: Pick<FanOutOptions, "queue" | "workerId" | "staleAfterMs" | "runBatch">;
}

/** Each kind of job (job-kinds.ts) paired with its handler; the type makes a kind without one an error. */
export function jobHandlers(deps: HandlerDeps): { [K in JobKind]: JobHandler<K> } {
  return {
    "encode-run": {
      run: async ({ payload, isCancelled, reportProgress }) => {
        const options = {
          ...deps,
          runId: payload.runId,
          isCancelled,
          onProgress: (counts: RunCounts) => {
            reportProgress(counts.total === 0 ? 1 : (counts.done + counts.failed) / counts.total);
            deps.onRunProgress?.(counts);
          },
        };
        if (deps.fanOut === undefined) await encodeRun(options);
        else await fanOutEncodeRun({ ...options, ...deps.fanOut });
        return undefined;
      },
      // The run's status follows its job's end (failed with the job's message).
      settled: (outcome, payload, error) =>
        markRunEnded({ db: deps.db, runId: payload.runId, outcome, error }),
    },
    "encode-batch": {
      run: async ({ payload }) => {
        const counts = await encodeRunImages({ ...deps, ...payload });
        deps.onRunProgress?.(counts);
        return undefined;
      },
    },
    projection: projectionJobHandler(deps),
    alignment: alignmentJobHandler(deps),
  };
}
