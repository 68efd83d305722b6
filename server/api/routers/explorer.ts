import { z } from "zod";
import { CLUSTER_SAMPLE } from "~/lib/viz/cluster-keywords";
import { getClusterTexts, getPointDetails } from "~/server/services/explorer/point-details";
import { createTRPCRouter, shareOrViewerProcedure } from "../trpc";

// Details travel for what is on screen (a gallery page, the hovered point), never for the whole run; the
// indices or ids travel in a GET URL.
const MAX_DETAILS = 500;
const runId = z.string().min(1);
const index = z.number().int().min(0);

/**
 * The explorer's per-point reads. Coordinates and colour codes come as binary from the route handlers under
 * app/api/runs/[runId]/points; these answer the few points on screen.
 */
export const explorerRouter = createTRPCRouter({
  /** Names, captions, labels and answers of a few points, by point index or by image id. */
  pointDetails: shareOrViewerProcedure(
    z
      .object({
        runId,
        indices: z.array(index).max(MAX_DETAILS).optional(),
        imageIds: z.array(z.string().min(1)).max(MAX_DETAILS).optional(),
      })
      .refine((input) => input.indices !== undefined || input.imageIds !== undefined, {
        message: "Ask for indices or image ids.",
      }),
    (input) => ({ runId: input.runId }),
  ).query(({ ctx, input }) => getPointDetails({ db: ctx.db, ...input })),
  /** What clusters are named from, for a sample of points. */
  clusterTexts: shareOrViewerProcedure(
    z.object({ runId, indices: z.array(index).max(CLUSTER_SAMPLE) }),
    (input) => ({ runId: input.runId }),
  ).query(({ ctx, input }) => getClusterTexts({ db: ctx.db, ...input })),
});
