import { z } from "zod";
import { cancelRun, resumeRun } from "~/server/services/runs/control-run";
import { createRun } from "~/server/services/runs/create-run";
import { deleteRun, describeRunDeletion } from "~/server/services/runs/delete-run";
import { getRun, getRunProgress, type RunProgress } from "~/server/services/runs/get-run";
import { listRunImages } from "~/server/services/runs/list-run-images";
import { createTRPCRouter, memberProcedure, shareOrViewerProcedure, viewerProcedure } from "../trpc";

// Progress is read from the database, where the worker process writes it.
const PROGRESS_POLL_MS = 500;
const runId = z.object({ runId: z.string().min(1) });

export const runsRouter = createTRPCRouter({
  get: shareOrViewerProcedure(runId, (input) => ({ runId: input.runId })).query(({ ctx, input }) =>
    getRun({ db: ctx.db, runId: input.runId }),
  ),
  images: viewerProcedure
    // `cursor` is the offset of the first image (TanStack infinite queries call it so).
    .input(
      runId.extend({
        cursor: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(500).default(60),
      }),
    )
    .query(({ ctx, input }) =>
      listRunImages({ db: ctx.db, runId: input.runId, offset: input.cursor, limit: input.limit }),
    ),
  create: memberProcedure
    .input(
      z.object({
        datasetId: z.string().min(1),
        /** A known model folder's name (the models page); the default model (MODEL_DIR) when unset. */
        model: z.string().min(1).max(200).optional(),
        name: z.string().min(1).max(200).optional(),
        prompts: z.array(z.string().min(1).max(500)).max(16).optional(),
        questions: z.array(z.string().min(1).max(500)).max(32).optional(),
        includeStages: z.boolean().default(false),
        dtype: z.enum(["fp16", "fp32"]).default("fp16"),
      }),
    )
    .mutation(({ ctx, input }) =>
      // Loading a model that is not loaded yet takes longer than a health check.
      createRun({ db: ctx.db, queue: ctx.queue, inference: ctx.inference.slowClient, ...input }),
    ),
  cancel: memberProcedure
    .input(runId)
    .mutation(({ ctx, input }) => cancelRun({ db: ctx.db, queue: ctx.queue, runId: input.runId })),
  /** What deleting the run takes with it, for the confirmation. */
  deletion: viewerProcedure
    .input(runId)
    .query(({ ctx, input }) => describeRunDeletion({ db: ctx.db, runId: input.runId })),
  delete: memberProcedure.input(runId).mutation(({ ctx, input }) =>
    deleteRun({
      db: ctx.db,
      queue: ctx.queue,
      features: ctx.features,
      dataDir: ctx.dataDir,
      runId: input.runId,
    }),
  ),
  resume: memberProcedure
    .input(runId)
    .mutation(({ ctx, input }) => resumeRun({ db: ctx.db, queue: ctx.queue, runId: input.runId })),
  /**
   * Live progress (server-sent events): a new value whenever the counts or status change. The stream stays open
   * after the run ends (a resume elsewhere moves it again) until the page goes away.
   */
  progress: viewerProcedure.input(runId).subscription(async function* ({ ctx, input, signal }) {
    let last = "";
    while (!signal?.aborted) {
      const progress: RunProgress = await getRunProgress({ db: ctx.db, runId: input.runId });
      const key = `${progress.status}:${progress.done}:${progress.failed}:${progress.total}`;
      if (key !== last) {
        last = key;
        yield progress;
      }
      await new Promise((resolve) => setTimeout(resolve, PROGRESS_POLL_MS));
    }
  }),
});
