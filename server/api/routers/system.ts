import { listModels } from "~/server/services/models/list-models";
import { getInferenceHealth } from "~/server/services/system/get-inference-health";
import { createTRPCRouter, publicProcedure, viewerProcedure } from "../trpc";

export const systemRouter = createTRPCRouter({
  /** Public: the header shows it on every page, the sign-in page included. */
  inferenceHealth: publicProcedure.query(({ ctx }) =>
    getInferenceHealth({ client: ctx.inference.client, url: ctx.inference.url }),
  ),
  /** The model folders the inference server knows and which are loaded (the models page). */
  models: viewerProcedure.query(({ ctx }) => listModels({ client: ctx.inference.slowClient })),
});
