import { bytesOfFloat32 } from "~/lib/codec/base64";
import type { FeatureStore } from "~/server/features/feature-store";
import { runInComputeThread } from "~/server/services/analysis/compute-thread";
import {
  cacheKeyOf,
  findCachedProjection,
  loadPatchInput,
  loadPooledInput,
  type PatchInput,
  type PooledInput,
  selectPatchInput,
} from "~/server/services/analysis/projection-inputs";
import type { Db } from "~/server/store/db";
import type { JobHandler } from "./job-lifecycle";

export interface ProjectionJobDeps {
  db: Db;
  features: FeatureStore;
}

/**
 * A `projection` job: computes the layouts of its request that are not cached yet (UMAP or PCA in a compute
 * thread, then the quality score) and stores each with its rows and quality. The inputs are read again here, so
 * a run that grew since the request gets layouts of what it holds now. Result: `{ projectionIds }`.
 */
export function projectionJobHandler(deps: ProjectionJobDeps): JobHandler<"projection"> {
  return {
    run: async ({ payload, reportProgress, signal }) => {
      const { db } = deps;
      const inputs: (PooledInput | PatchInput)[] =
        payload.mode === "pooled"
          ? await Promise.all(
              payload.sources.map((source) => loadPooledInput({ db, runId: payload.runId, source })),
            )
          : [
              await loadPatchInput({
                features: deps.features,
                selection: await selectPatchInput({
                  db,
                  runId: payload.runId,
                  source: payload.source,
                  imageIds: payload.imageIds,
                }),
              }),
            ];
      const projectionIds: string[] = [];
      const keys = inputs.map((input) => cacheKeyOf(input.inputHash, payload.method, payload.params));
      const missing = (
        await Promise.all(keys.map(async (key, i) => ((await findCachedProjection(db, key)) ? null : i)))
      ).filter((i): i is number => i !== null);
      for (const [done, index] of missing.entries()) {
        const input = inputs[index] as PooledInput | PatchInput;
        const key = keys[index] as (typeof keys)[number];
        const { coords, quality } = await runInComputeThread(
          {
            kind: "projection",
            method: payload.method,
            features: input.features,
            umap: {
              nNeighbors: payload.params.nNeighbors,
              minDist: payload.params.minDist,
              seed: payload.params.seed,
              ...(payload.params.nEpochs === undefined ? {} : { epochs: payload.params.nEpochs }),
            },
          },
          { signal, onProgress: (f) => reportProgress((done + f) / missing.length) },
        );
        const identity = { inputHash: key.inputHash, method: key.method, paramsKey: key.paramsKey };
        // Another worker may have stored the same layout meanwhile (same key, same coordinates): keep its row.
        await db.projection.upsert({
          where: { inputHash_method_paramsKey: identity },
          update: {},
          create: {
            ...identity,
            runId: payload.runId,
            source: input.source,
            mode: payload.mode,
            params: key.params as object,
            seed: payload.params.seed,
            points: input.points,
            coords: bytesOfFloat32(coords),
            quality: quality === null ? undefined : { ...quality },
          },
        });
      }
      for (const key of keys) {
        const row = await findCachedProjection(db, key);
        if (row !== null) projectionIds.push(row.id);
      }
      return { projectionIds };
    },
  };
}
