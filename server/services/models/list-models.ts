import { AppError } from "~/server/app-error";
import type { InferenceClient } from "~/server/services/inference-client";
import type { ModelSummary } from "./model-summary";

export interface ModelListing {
  models: (ModelSummary & {
    isLoaded: boolean;
    /** The loaded weights' bytes (graphs on disk) while it is loaded. */
    loadedWeightBytes: number | null;
  })[];
  /** INFERENCE_MEMORY_MB in bytes; null: no limit. */
  memoryBudgetBytes: number | null;
  loadedWeightBytes: number;
}

/**
 * The model folders the inference server knows (the models page): each one's format, size, sources, attention
 * outputs and language model from lib/engine's description, and which are loaded now. The inference server is asked
 * because it is the process that opens model folders (it may run on another machine).
 */
export async function listModels(options: { client: InferenceClient }): Promise<ModelListing> {
  const [models, health] = await Promise.all([
    options.client.models.query(),
    options.client.health.query(),
  ]).catch((error: unknown) => {
    throw new AppError(
      "UNAVAILABLE",
      "The inference server is not reachable; start it (npm start) to list its models.",
      { cause: error },
    );
  });
  const loaded = new Map(health.loaded.map((entry) => [entry.dir, entry.memory.weightBytes]));
  return {
    models: models.map((model) => ({ ...model, loadedWeightBytes: loaded.get(model.dir) ?? null })),
    memoryBudgetBytes: health.memoryBudgetBytes,
    loadedWeightBytes: health.loadedWeightBytes,
  };
}
