import type { Tensor } from "~/lib/tensor";
import type { TextFeatureProvider } from "~/server/services/analysis/text-features";
import { gaussian, type SyntheticAnalysisRun, seededRandom } from "./synthetic-analysis-run";

/**
 * Caption features without the bundled model: each caption maps linearly from its image's latent (what a
 * well-aligned encoder + LLM pair would look like), as [tokens, textDim] matrices whose mean is that vector.
 * `calls` records each request's size.
 */
export function syntheticTextFeatures(
  data: SyntheticAnalysisRun,
  options: { textDim: number; tokens: number; calls?: number[] },
): TextFeatureProvider {
  const { textDim, tokens } = options;
  const random = seededRandom(99);
  const map = Float64Array.from({ length: data.latentDim * textDim }, () => gaussian(random));
  const byCaption = new Map(data.captions.map((caption, i) => [caption, i]));
  return {
    modelFingerprint: async () => "synthetic-model",
    embed: async (texts) => {
      options.calls?.push(texts.length);
      return texts.map((text): Tensor<Float32Array> => {
        const i = byCaption.get(text);
        if (i === undefined) throw new Error(`unexpected caption ${text}`);
        const out = new Float32Array(tokens * textDim);
        for (let d = 0; d < textDim; d++) {
          let value = 0;
          for (let j = 0; j < data.latentDim; j++)
            value += (data.latents[i * data.latentDim + j] as number) * (map[j * textDim + d] as number);
          // Tokens differ, their mean is the caption's vector.
          for (let t = 0; t < tokens; t++) out[t * textDim + d] = value + (t - 1) * 0.5;
        }
        return { data: out, dims: [tokens, textDim] };
      });
    },
  };
}
