import { z } from "zod";
import { inferenceTextFeatures } from "~/server/services/analysis/text-features";
import { findSimilarImages } from "~/server/services/search/find-similar-images";
import { searchByText } from "~/server/services/search/search-by-text";
import { createTRPCRouter, shareOrViewerProcedure, viewerProcedure } from "../trpc";

const id = z.string().min(1).max(100);
const source = z.string().min(1).max(200);
// A panel of thumbnails: more than this is a gallery, which the explorer's selection already offers.
const MAX_K = 100;
// A text search answer is a selection in the explorer: up to this many images.
const MAX_TEXT_K = 1000;

export const searchRouter = createTRPCRouter({
  /** The image itself, then its k nearest images of the run by cosine on one source's pooled features. */
  similarImages: shareOrViewerProcedure(
    z.object({ runId: id, imageId: id, source, k: z.number().int().min(1).max(MAX_K).default(12) }),
    (input) => ({ runId: input.runId }),
  ).query(({ ctx, input }) => findSimilarImages({ db: ctx.db, ...input })),
  /** Images ranked against a phrase through the run's alignment probe P (or why that is not possible yet). */
  byText: viewerProcedure
    .input(
      z.object({
        runId: id,
        source,
        text: z.string().trim().min(1).max(500),
        k: z.number().int().min(1).max(MAX_TEXT_K).default(50),
      }),
    )
    .query(({ ctx, input }) =>
      searchByText({
        db: ctx.db,
        queue: ctx.queue,
        textFeatures: inferenceTextFeatures(ctx.inference.slowClient),
        ...input,
      }),
    ),
});
