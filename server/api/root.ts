import { analysisRouter } from "./routers/analysis";
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { catalogRouter } from "./routers/catalog";
import { datasetsRouter } from "./routers/datasets";
import { explorerRouter } from "./routers/explorer";
import { imageViewRouter } from "./routers/image-view";
import { runsRouter } from "./routers/runs";
import { searchRouter } from "./routers/search";
import { shareRouter } from "./routers/share";
import { systemRouter } from "./routers/system";
import { usersRouter } from "./routers/users";
import { workersRouter } from "./routers/workers";
import { createCallerFactory, createTRPCRouter } from "./trpc";

/** The browser-facing API; routers only map names to services. */
export const appRouter = createTRPCRouter({
  system: systemRouter,
  catalog: catalogRouter,
  datasets: datasetsRouter,
  runs: runsRouter,
  analysis: analysisRouter,
  explorer: explorerRouter,
  share: shareRouter,
  imageView: imageViewRouter,
  search: searchRouter,
  auth: authRouter,
  users: usersRouter,
  audit: auditRouter,
  workers: workersRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
