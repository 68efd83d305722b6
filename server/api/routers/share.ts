import { z } from "zod";
import { createShareLink } from "~/server/services/share/create-share-link";
import { listShareLinks } from "~/server/services/share/list-share-links";
import { openShareLink } from "~/server/services/share/resolve-share-link";
import { revokeShareLink } from "~/server/services/share/revoke-share-link";
import { createTRPCRouter, memberProcedure, publicProcedure, viewerProcedure } from "../trpc";

const token = z.object({ token: z.string().min(1).max(200) });

export const shareRouter = createTRPCRouter({
  /** A read-only link to a view state; projections it refers to are pinned. */
  create: memberProcedure
    .input(
      z.object({
        view: z.string().min(1).max(512),
        state: z.record(z.string(), z.unknown()),
        expiresAt: z.date().optional(),
        projectionIds: z.array(z.string().min(1)).max(64).optional(),
      }),
    )
    .mutation(({ ctx, input }) =>
      createShareLink({
        db: ctx.db,
        ...input,
        ...(ctx.access.kind === "user" ? { createdById: ctx.access.user.id } : {}),
      }),
    ),
  /**
   * The view behind a token, or why it does not open ("unknown" | "revoked" | "expired"), nothing more. Public:
   * holding the token is the permission.
   */
  resolve: publicProcedure
    .input(token)
    .query(({ ctx, input }) => openShareLink({ db: ctx.db, token: input.token })),
  revoke: memberProcedure
    .input(z.object({ linkId: z.string().min(1).max(100) }))
    .mutation(({ ctx, input }) => revokeShareLink({ db: ctx.db, linkId: input.linkId })),
  list: viewerProcedure
    .input(z.object({ view: z.string().min(1).max(512).optional() }).default({}))
    .query(({ ctx, input }) => listShareLinks({ db: ctx.db, ...input })),
});
