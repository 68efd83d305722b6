import { z } from "zod";
import { deleteDataset, describeDatasetDeletion } from "~/server/services/datasets/delete-dataset";
import { getDataset } from "~/server/services/datasets/get-dataset";
import { importFolder } from "~/server/services/datasets/import-folder";
import { listDatasetItems } from "~/server/services/datasets/list-dataset-items";
import { createTRPCRouter, memberProcedure, viewerProcedure } from "../trpc";

const datasetId = z.object({ datasetId: z.string().min(1) });

export const datasetsRouter = createTRPCRouter({
  get: viewerProcedure
    .input(datasetId)
    .query(({ ctx, input }) => getDataset({ db: ctx.db, datasetId: input.datasetId })),
  items: viewerProcedure
    // `cursor` is the offset of the first item (TanStack infinite queries call it so).
    .input(
      datasetId.extend({
        cursor: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(500).default(120),
      }),
    )
    .query(({ ctx, input }) =>
      listDatasetItems({ db: ctx.db, datasetId: input.datasetId, offset: input.cursor, limit: input.limit }),
    ),
  /** What deleting the dataset takes with it (runs, images only it holds), for the confirmation. */
  deletion: viewerProcedure
    .input(datasetId)
    .query(({ ctx, input }) => describeDatasetDeletion({ db: ctx.db, datasetId: input.datasetId })),
  delete: memberProcedure.input(datasetId).mutation(({ ctx, input }) =>
    deleteDataset({
      db: ctx.db,
      queue: ctx.queue,
      features: ctx.features,
      dataDir: ctx.dataDir,
      datasetId: input.datasetId,
    }),
  ),
  /** Imports a folder on the server from under IMPORT_ROOTS (the API behind the README's folder import). */
  importFolder: memberProcedure
    .input(
      z.object({
        name: z.string().trim().min(1).max(200),
        folder: z.string().trim().min(1).max(4096),
        manifestPath: z.string().trim().min(1).max(4096).optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      importFolder({
        db: ctx.db,
        dataDir: ctx.dataDir,
        roots: ctx.limits.importRoots,
        limits: ctx.limits.imports,
        maxInputPixels: ctx.limits.maxImagePixels,
        ...input,
      }),
    ),
});
