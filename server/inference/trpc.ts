import { initTRPC } from "@trpc/server";
import superjson from "superjson";

/** The inference server's own tRPC instance: no browser ever talks to it, only the web server and workers. */
const t = initTRPC.create({ transformer: superjson });

export const router = t.router;
export const publicProcedure = t.procedure;
