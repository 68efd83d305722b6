import { createTRPCRouter, publicProcedure } from "../trpc";

export const authRouter = createTRPCRouter({
  /**
   * Public: whether access control is on, who is signed in (if anyone), and whether OpenID Connect sign-in is
   * offered; the header and the sign-in page show it.
   */
  session: publicProcedure.query(({ ctx }) => ({
    isEnabled: ctx.auth.isEnabled,
    user:
      ctx.access.kind === "user"
        ? { email: ctx.access.user.email, name: ctx.access.user.name, role: ctx.access.user.role }
        : null,
    oidcName: ctx.auth.oidcName,
  })),
});
