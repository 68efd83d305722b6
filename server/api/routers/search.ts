import { z } from "zod";
import { findSimilarImages } from "~/server/services/search/find-similar-images";
import { createTRPCRouter, publicProcedure } from "../trpc";

const id = z.string().min(1).max(100);
const source = z.string().min(1).max(200);
// A panel of thumbnails: more than this is a gallery, which the explorer's selection already offers.
const MAX_K = 100;

export const searchRouter = createTRPCRouter({
  /** The image itself, then its k nearest images of the run by cosine on one source's pooled features. */
  similarImages: publicProcedure
    .input(z.object({ runId: id, imageId: id, source, k: z.number().int().min(1).max(MAX_K).default(12) }))
    .query(({ ctx, input }) => findSimilarImages({ db: ctx.db, ...input })),
});
