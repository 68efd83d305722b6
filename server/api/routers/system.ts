import { getInferenceHealth } from "~/server/services/system/get-inference-health";
import { createTRPCRouter, publicProcedure } from "../trpc";

export const systemRouter = createTRPCRouter({
  inferenceHealth: publicProcedure.query(({ ctx }) =>
    getInferenceHealth({ client: ctx.inference.client, url: ctx.inference.url }),
  ),
});
