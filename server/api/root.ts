import { catalogRouter } from "./routers/catalog";
import { systemRouter } from "./routers/system";
import { createCallerFactory, createTRPCRouter } from "./trpc";

/** The browser-facing API; routers only map names to services. */
export const appRouter = createTRPCRouter({
  system: systemRouter,
  catalog: catalogRouter,
});

export type AppRouter = typeof appRouter;

export const createCaller = createCallerFactory(appRouter);
