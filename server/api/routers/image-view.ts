import { z } from "zod";
import { askQuestion } from "~/server/services/image-view/ask-question";
import { getAttentionMaps } from "~/server/services/image-view/attention-maps";
import { computePcaRgb } from "~/server/services/image-view/compute-pca-rgb";
import { getImageSummary } from "~/server/services/image-view/get-image-summary";
import { computePatchSimilarity } from "~/server/services/image-view/patch-similarity";
import { createTRPCRouter, memberProcedure, viewerProcedure } from "../trpc";

// PCA over every chosen image's patches runs on the request thread: a few images keep it well under a second.
const MAX_PCA_IMAGES = 8;
const id = z.string().min(1).max(100);
const source = z.string().min(1).max(200);
const runImage = z.object({ runId: id, imageId: id });

export const imageViewRouter = createTRPCRouter({
  /** The image, its run's sources and prompts, and its neighbours in dataset order. */
  summary: viewerProcedure
    .input(runImage)
    .query(({ ctx, input }) => getImageSummary({ db: ctx.db, ...input })),
  /** PCA-RGB maps (paper Fig. 3) per (image, source), per image or with one basis shared by the images. */
  pcaRgb: viewerProcedure
    .input(
      z.object({
        runId: id,
        imageIds: z.array(id).min(1).max(MAX_PCA_IMAGES),
        sources: z.array(source).min(1).max(16),
        sharedBasis: z.boolean().default(false),
        threshold: z.number().min(0).max(1).nullable().default(0.5),
        foreground: z.enum(["above", "below"]).default("above"),
      }),
    )
    .query(({ ctx, input }) => computePcaRgb({ db: ctx.db, features: ctx.features, ...input })),
  /** Cosine similarity of one patch to every patch, in its source and at the same cell of other sources. */
  patchSimilarity: viewerProcedure
    .input(
      runImage.extend({
        source,
        patchIndex: z.number().int().min(0),
        targetSources: z.array(source).min(1).max(16),
      }),
    )
    .query(({ ctx, input }) => computePatchSimilarity({ db: ctx.db, features: ctx.features, ...input })),
  /** Prompt, answer-token and language-model attention maps of one image, computed live (and cached). */
  attention: viewerProcedure
    .input(runImage)
    .query(({ ctx, input }) =>
      getAttentionMaps({ db: ctx.db, dataDir: ctx.dataDir, inference: ctx.inference.slowClient, ...input }),
    ),
  /** A live question to the language model about one stored image. */
  ask: memberProcedure
    .input(
      z.object({
        runId: id.optional(),
        imageSha256: z.string().regex(/^[0-9a-f]{64}$/),
        question: z.string().trim().min(1).max(500),
      }),
    )
    .mutation(({ ctx, input }) =>
      askQuestion({ db: ctx.db, dataDir: ctx.dataDir, inference: ctx.inference.slowClient, ...input }),
    ),
});
