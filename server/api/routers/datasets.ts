import { z } from "zod";
import { importFolder } from "~/server/services/datasets/import-folder";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const datasetsRouter = createTRPCRouter({
  /** Imports a folder on the server from under IMPORT_ROOTS (the API behind the README's folder import). */
  importFolder: publicProcedure
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
