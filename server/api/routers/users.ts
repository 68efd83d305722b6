import { z } from "zod";
import { roleSchema } from "~/server/auth/roles";
import { createUser, listUsers, removeUser, setUserRole } from "~/server/auth/users";
import { adminProcedure, createTRPCRouter } from "../trpc";

const userId = z.object({ userId: z.string().min(1).max(100) });

/** Accounts: administrators only. */
export const usersRouter = createTRPCRouter({
  list: adminProcedure.query(({ ctx }) => listUsers({ db: ctx.db })),
  create: adminProcedure
    .input(
      z.object({
        email: z.email().max(320),
        name: z.string().trim().min(1).max(200),
        password: z.string().min(10).max(200),
        role: roleSchema,
      }),
    )
    .mutation(({ ctx, input }) => createUser({ auth: ctx.auth.auth(), ...input })),
  setRole: adminProcedure
    .input(userId.extend({ role: roleSchema }))
    .mutation(({ ctx, input }) => setUserRole({ db: ctx.db, ...input })),
  remove: adminProcedure.input(userId).mutation(({ ctx, input }) =>
    removeUser({
      db: ctx.db,
      userId: input.userId,
      actingUserId: ctx.access.kind === "user" ? ctx.access.user.id : null,
    }),
  ),
});
