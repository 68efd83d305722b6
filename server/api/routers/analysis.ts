import { z } from "zod";
import { MAX_COMPARED_RUNS } from "~/server/services/analysis/alignment-runs";
import { getAlignment } from "~/server/services/analysis/get-alignment";
import { cancelAnalysisJob, getJob } from "~/server/services/analysis/get-job";
import { getPca3d } from "~/server/services/analysis/get-pca-3d";
import { getPatchProjection, getProjections } from "~/server/services/analysis/get-projections";
import { listAnalysisPoints } from "~/server/services/analysis/list-analysis-points";
import { listAnalysisSources } from "~/server/services/analysis/list-analysis-sources";
import { listComparisonRuns } from "~/server/services/analysis/list-comparison-runs";
import {
  MAX_PATCH_IMAGES,
  projectionMethodSchema,
  projectionParamsSchema,
  seedSchema,
} from "~/server/services/analysis/projection-params";
import { requestAlignment } from "~/server/services/analysis/request-alignment";
import { requestPatchProjection, requestProjections } from "~/server/services/analysis/request-projections";
import { createTRPCRouter, memberProcedure, shareOrViewerProcedure, viewerProcedure } from "../trpc";

const runId = z.object({ runId: z.string().min(1) });
const jobId = z.object({ jobId: z.string().min(1) });
const source = z.string().min(1).max(200);

export const analysisRouter = createTRPCRouter({
  /** The run's kept sources with their width and encoded-image count. */
  sources: shareOrViewerProcedure(runId, (input) => ({ runId: input.runId })).query(({ ctx, input }) =>
    listAnalysisSources({ db: ctx.db, runId: input.runId }),
  ),
  /** Per image of the run: metadata, caption, labels and answers, for hover and colour-by. */
  points: shareOrViewerProcedure(runId, (input) => ({ runId: input.runId })).query(({ ctx, input }) =>
    listAnalysisPoints({ db: ctx.db, runId: input.runId }),
  ),
  /** The 3D view's layout of one source: its pooled vectors' first three principal components. */
  pca3d: shareOrViewerProcedure(runId.extend({ source }), (input) => ({ runId: input.runId })).query(
    ({ ctx, input }) => getPca3d({ db: ctx.db, ...input }),
  ),
  /** Pooled layouts of several sources: ready (aligned panels) when cached, else a job to wait for. */
  requestProjections: memberProcedure
    .input(
      runId.extend({
        sources: z.array(source).min(1).max(16),
        method: projectionMethodSchema,
        params: projectionParamsSchema.default({ nNeighbors: 15, minDist: 0.1, seed: 0 }),
        referenceSource: source.optional(),
        withPoints: z.boolean().optional(),
      }),
    )
    .mutation(({ ctx, input }) => requestProjections({ db: ctx.db, queue: ctx.queue, ...input })),
  /** Stored projections by id (pinned views), aligned to the reference (the first when not named). */
  projections: shareOrViewerProcedure(
    z.object({
      projectionIds: z.array(z.string().min(1)).min(1).max(16),
      referenceProjectionId: z.string().min(1).optional(),
    }),
    (input) => ({
      projectionIds: [
        ...input.projectionIds,
        ...(input.referenceProjectionId ? [input.referenceProjectionId] : []),
      ],
    }),
  ).query(({ ctx, input }) => getProjections({ db: ctx.db, ...input })),
  /** Every patch token of a few images of one source as a point. */
  requestPatchProjection: memberProcedure
    .input(
      runId.extend({
        source,
        imageIds: z.array(z.string().min(1)).min(1).max(MAX_PATCH_IMAGES),
        method: projectionMethodSchema,
        params: projectionParamsSchema.default({ nNeighbors: 15, minDist: 0.1, seed: 0 }),
      }),
    )
    .mutation(({ ctx, input }) => requestPatchProjection({ db: ctx.db, queue: ctx.queue, ...input })),
  /** A stored patch projection by id. */
  patchProjection: shareOrViewerProcedure(z.object({ projectionId: z.string().min(1) }), (input) => ({
    projectionIds: [input.projectionId],
  })).query(({ ctx, input }) => getPatchProjection({ db: ctx.db, projectionId: input.projectionId })),
  /** Status and progress of a job. */
  job: viewerProcedure
    .input(jobId)
    .query(({ ctx, input }) => getJob({ queue: ctx.queue, jobId: input.jobId })),
  /** Stops a projection or alignment job. */
  cancelJob: memberProcedure
    .input(jobId)
    .mutation(({ ctx, input }) => cancelAnalysisJob({ queue: ctx.queue, jobId: input.jobId })),
  /** Queues the alignment analysis (paper Figs. 4–5) of a run, optionally against other runs of its dataset. */
  requestAlignment: memberProcedure
    .input(
      runId.extend({
        comparisonRunIds: z
          .array(z.string().min(1))
          .max(MAX_COMPARED_RUNS - 1)
          .default([]),
        batchSize: z.number().int().min(2).max(1024).default(32),
        seed: seedSchema,
        steps: z.number().int().min(10).max(5000).default(300),
      }),
    )
    .mutation(({ ctx, input }) => requestAlignment({ db: ctx.db, queue: ctx.queue, ...input })),
  /** The other runs of the run's dataset, which its alignment analysis can compare. */
  comparisonRuns: viewerProcedure
    .input(runId)
    .query(({ ctx, input }) => listComparisonRuns({ db: ctx.db, runId: input.runId })),
  /** The run's latest completed alignment analysis, or null. */
  alignment: viewerProcedure
    .input(runId)
    .query(({ ctx, input }) => getAlignment({ db: ctx.db, queue: ctx.queue, runId: input.runId })),
});
