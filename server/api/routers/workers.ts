import { listWorkers } from "~/server/services/workers/list-workers";
import { createTRPCRouter, viewerProcedure } from "../trpc";

export const workersRouter = createTRPCRouter({
  /** The job workers and what each is doing (the workers page). */
  list: viewerProcedure.query(({ ctx }) => listWorkers({ db: ctx.db })),
});
