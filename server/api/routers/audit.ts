import { z } from "zod";
import { listAudit } from "~/server/services/audit/list-audit";
import { adminProcedure, createTRPCRouter } from "../trpc";

export const auditRouter = createTRPCRouter({
  /** Who created, deleted, shared or revoked what: newest first. */
  list: adminProcedure
    .input(
      z
        .object({ limit: z.number().int().min(1).max(500).default(100), before: z.date().optional() })
        .default({ limit: 100 }),
    )
    .query(({ ctx, input }) => listAudit({ db: ctx.db, ...input })),
});
