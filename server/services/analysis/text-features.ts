import type { Tensor } from "~/lib/tensor";
import type { InferenceClient } from "~/server/services/inference-client";

/** Where caption features come from: the language model's last-layer hidden states (the paper's f_t). */
export interface TextFeatureProvider {
  /** Fingerprint of the model that makes the features, when known. */
  modelFingerprint(): Promise<string | null>;
  /** One [tokens, hidden] matrix per text, in order. */
  embed(texts: readonly string[]): Promise<Tensor<Float32Array>[]>;
}

/**
 * Caption features from the inference server's language model: `model`'s (a known model folder, e.g. a run's
 * modelDir), else the default model's.
 */
export function inferenceTextFeatures(client: InferenceClient, model?: string): TextFeatureProvider {
  const named = model === undefined ? {} : { model };
  return {
    modelFingerprint: async () => {
      const state =
        model === undefined
          ? (await client.health.query().catch(() => null))?.model
          : await client.load.mutate(named).catch(() => null);
      return state?.state === "ready" ? state.fingerprint : null;
    },
    embed: (texts) => client.textFeatures.mutate({ ...named, texts: [...texts] }),
  };
}
