import { z } from "zod";
import { env } from "~/server/env";
import { listDatasets } from "~/server/services/catalog/list-datasets";
import { importFolder } from "~/server/services/datasets/import-folder";
import { listDatasetItems } from "~/server/services/datasets/list-dataset-items";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const datasetsRouter = createTRPCRouter({
  list: publicProcedure.query(({ ctx }) => listDatasets({ db: ctx.db })),
  items: publicProcedure
    .input(
      z.object({
        datasetId: z.string().min(1),
        offset: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(1000).default(100),
      }),
    )
    .query(({ ctx, input }) => listDatasetItems({ db: ctx.db, ...input })),
  importFolder: publicProcedure
    .input(
      z.object({
        name: z.string().trim().min(1).max(200),
        folder: z.string().trim().min(1).max(4096),
        manifestPath: z.string().trim().min(1).max(4096).optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      importFolder({ db: ctx.db, dataDir: env.dataDir, roots: env.importRoots, ...input }),
    ),
});
