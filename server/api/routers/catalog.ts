import { z } from "zod";
import { listDatasets } from "~/server/services/catalog/list-datasets";
import { listRuns } from "~/server/services/catalog/list-runs";
import { createTRPCRouter, viewerProcedure } from "../trpc";

export const catalogRouter = createTRPCRouter({
  datasets: viewerProcedure.query(({ ctx }) => listDatasets({ db: ctx.db })),
  runs: viewerProcedure
    .input(z.object({ limit: z.number().int().min(1).max(500).default(100) }).default({ limit: 100 }))
    .query(({ ctx, input }) => listRuns({ db: ctx.db, limit: input.limit })),
});
