import { isProviderInstalled, type ModelSlot, ortVersion } from "./model-slot";
import { publicProcedure, router } from "./trpc";

export function createInferenceRouter(slot: ModelSlot) {
  return router({
    /** What this process serves and whether it can: the dashboard polls it to show the server live. */
    health: publicProcedure.query(() => ({
      pid: process.pid,
      uptimeS: process.uptime(),
      modelDir: slot.modelDir,
      executionProvider: slot.settings.executionProvider,
      isProviderInstalled: isProviderInstalled(slot.settings.executionProvider),
      ortVersion,
      model: slot.loadState,
    })),
  });
}

export type InferenceRouter = ReturnType<typeof createInferenceRouter>;
