import type { Tensor } from "~/lib/tensor";
import type { InferenceClient } from "~/server/services/inference-client";

/** Where caption features come from: the language model's last-layer hidden states (the paper's f_t). */
export interface TextFeatureProvider {
  /** Fingerprint of the model that makes the features, when known. */
  modelFingerprint(): Promise<string | null>;
  /** One [tokens, hidden] matrix per text, in order. */
  embed(texts: readonly string[]): Promise<Tensor<Float32Array>[]>;
}

/** Caption features from the inference server's language model. */
export function inferenceTextFeatures(client: InferenceClient): TextFeatureProvider {
  return {
    modelFingerprint: async () => {
      const health = await client.health.query().catch(() => null);
      return health?.model.state === "ready" ? health.model.fingerprint : null;
    },
    embed: (texts) => client.textFeatures.mutate({ texts: [...texts] }),
  };
}
