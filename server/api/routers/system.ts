import { getInferenceHealth } from "~/server/services/system/get-inference-health";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const systemRouter = createTRPCRouter({
  /** Public: the header shows it on every page, the sign-in page included. */
  inferenceHealth: publicProcedure.query(({ ctx }) =>
    getInferenceHealth({ client: ctx.inference.client, url: ctx.inference.url }),
  ),
});
