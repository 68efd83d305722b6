import { initTRPC } from "@trpc/server";
import { transport } from "./transport";

/** The inference server's own tRPC instance: no browser ever talks to it, only the web server and workers. */
const t = initTRPC.create({ transformer: transport });

export const router = t.router;
export const publicProcedure = t.procedure;
