import type { Tensor } from "~/lib/tensor";
import { type AttentionGrids, attentionToGrid, concatQueries } from "./attention-grids";
import { required } from "./encode";
import { UnsupportedRequestError } from "./errors";
import { lastPosition, vocabularySize } from "./florence-decoder";
import { generate, type Stepper } from "./generation";
import type { LanguageModelParts, LoadedModel } from "./load-model";
import type { FeedValue } from "./ort-graph";
import { concatTokens, int64, ones64, sliceTokens } from "./token-ops";

const PAST_INPUT = /^past_key_values\.(\d+)\.(key|value)$/;
const ATTENTION_OUTPUT = /^attentions\.\d+$/;

export interface LanguageAnswer {
  question: string;
  text: string;
  tokenIds: number[];
  tokens: string[];
  /** Answer token → visual-token attention per language-model layer; null when the export has none. */
  visualAttention: AttentionGrids | null;
  /** Last-layer hidden state at the last prompt position [hidden]. */
  lastHiddenState: Float32Array;
}

function languageModelOf(model: LoadedModel): {
  lm: LanguageModelParts;
  manifest: NonNullable<LoadedModel["manifest"]>;
} {
  if (model.languageModel === null || model.manifest === null) {
    throw new UnsupportedRequestError(
      "This model folder has no language model (a stock Florence-2 export): questions need a Florence-VL export.",
    );
  }
  return { lm: model.languageModel, manifest: model.manifest };
}

/** `[<s>] + template(question)` with the image token's index, as the chat template in fvl.json defines. */
function chatPrompt(model: LoadedModel, question: string): { ids: number[]; imageIndex: number } {
  const { manifest } = languageModelOf(model);
  const text = manifest.chat_template.replace("{question}", question);
  const ids = [
    ...(manifest.chat.prepend_bos ? [model.generation.bosId] : []),
    ...model.tokenizer.encode(text, { addSpecialTokens: false }),
  ];
  const imageId = model.tokenizer.tokenId(manifest.chat.image_token);
  const imageIndex = ids.indexOf(imageId ?? -1);
  if (imageIndex < 0)
    throw new UnsupportedRequestError(`The chat template has no ${manifest.chat.image_token} token.`);
  return { ids, imageIndex };
}

/**
 * Asks the language model a question about one image: the image token of the chat template is replaced by the
 * projected (fused) visual tokens; greedy decoding with the key/value cache until the end token.
 */
export async function answerQuestion(
  model: LoadedModel,
  visualTokens: Tensor<Float32Array>,
  question: string,
  options: { maxNewTokens?: number; grid: [number, number]; hasPooledToken: boolean },
): Promise<LanguageAnswer> {
  const { lm, manifest } = languageModelOf(model);
  const { ids, imageIndex } = chatPrompt(model, question);
  const visual =
    visualTokens.dims.length === 2
      ? { data: visualTokens.data, dims: [1, ...visualTokens.dims] }
      : visualTokens;
  const embed = async (tokenIds: number[]) =>
    required(await lm.embedTokens.run({ input_ids: int64(tokenIds, [1, tokenIds.length]) }), "inputs_embeds");
  const promptEmbeds = concatTokens([
    await embed(ids.slice(0, imageIndex)),
    visual,
    await embed(ids.slice(imageIndex + 1)),
  ]);
  const stepper = new LanguageModelStepper(lm, promptEmbeds, embed);
  const endId = model.tokenizer.tokenId(manifest.chat.end_token) ?? model.generation.eosId;
  const generated = await generate(stepper, {
    prefixIds: ids,
    eosId: endId,
    forcedBosId: null,
    isEosForcedAtLimit: false,
    maxNewTokens: options.maxNewTokens ?? manifest.chat.max_new_tokens,
    noRepeatNgramSize: 0,
    numBeams: 1,
    lengthPenalty: 1,
  });
  const answerIds = generated.ids.filter((id) => id !== endId);
  const tokens = generated.ids.map((id) => model.tokenizer.tokenText(id));
  const firstVisual = imageIndex + (options.hasPooledToken ? 1 : 0);
  const visualAttention =
    stepper.attentionRows.length === 0
      ? null
      : concatQueries(
          stepper.attentionRows
            .slice(0, generated.ids.length)
            .map((layers, i) => attentionToGrid(layers, [0], firstVisual, options.grid, [tokens[i] ?? ""])),
        );
  return {
    question,
    text: model.tokenizer.decode(answerIds).trim(),
    tokenIds: generated.ids,
    tokens,
    visualAttention,
    lastHiddenState: stepper.promptLastHidden,
  };
}

/** The language model's last-layer hidden states of a text ([<s>] + text): the paper's text features f_t. */
export async function textFeatures(model: LoadedModel, text: string): Promise<Tensor<Float32Array>> {
  const { lm } = languageModelOf(model);
  const ids = [model.generation.bosId, ...model.tokenizer.encode(text, { addSpecialTokens: false })];
  const embeds = required(
    await lm.embedTokens.run({ input_ids: int64(ids, [1, ids.length]) }),
    "inputs_embeds",
  );
  const out = await lm.decoder.run(decoderFeeds(lm, embeds, new Map()), ["last_hidden_state"]);
  const hidden = required(out, "last_hidden_state");
  return { data: hidden.data, dims: hidden.dims.slice(1) };
}

function decoderFeeds(
  lm: LanguageModelParts,
  inputsEmbeds: Tensor<Float32Array>,
  cache: ReadonlyMap<string, Tensor<Float32Array>>,
): Record<string, FeedValue> {
  const past = cache.get("past_key_values.0.key")?.dims[2] ?? 0;
  const feeds: Record<string, FeedValue> = {
    inputs_embeds: inputsEmbeds,
    attention_mask: ones64([1, past + (inputsEmbeds.dims[1] ?? 0)]),
  };
  for (const input of lm.decoder.inputs) {
    if (!PAST_INPUT.test(input.name)) continue;
    const heads = typeof input.shape[1] === "number" ? input.shape[1] : 1;
    const headDim = typeof input.shape[3] === "number" ? input.shape[3] : 1;
    feeds[input.name] = cache.get(input.name) ?? { data: new Float32Array(0), dims: [1, heads, 0, headDim] };
  }
  return feeds;
}

/** Greedy decoding of one sequence with the cache; remembers each step's attention rows for answer maps. */
class LanguageModelStepper implements Stepper {
  readonly vocabSize: number;
  readonly attentionRows: Tensor<Float32Array>[][] = [];
  promptLastHidden: Float32Array = new Float32Array(0);
  private cache = new Map<string, Tensor<Float32Array>>();
  private readonly attentionNames: string[];

  constructor(
    private readonly lm: LanguageModelParts,
    private readonly promptEmbeds: Tensor<Float32Array>,
    private readonly embed: (ids: number[]) => Promise<Tensor<Float32Array>>,
  ) {
    this.vocabSize = vocabularySize(lm.decoder);
    this.attentionNames = lm.decoder.outputs.map((o) => o.name).filter((n) => ATTENTION_OUTPUT.test(n));
  }

  async first(rows: number): Promise<Float32Array> {
    if (rows !== 1) throw new UnsupportedRequestError("Language-model answers decode one sequence (greedy).");
    this.cache.clear();
    return this.run(this.promptEmbeds);
  }

  async next(tokens: readonly number[]): Promise<Float32Array> {
    return this.run(await this.embed([...tokens]));
  }

  private async run(inputsEmbeds: Tensor<Float32Array>): Promise<Float32Array> {
    const out = await this.lm.decoder.run(decoderFeeds(this.lm, inputsEmbeds, this.cache));
    for (const [name, tensor] of Object.entries(out)) {
      if (name.startsWith("present.")) this.cache.set(name.replace(/^present\./, "past_key_values."), tensor);
    }
    const steps = inputsEmbeds.dims[1] ?? 1;
    if (this.attentionRows.length === 0 && this.promptLastHidden.length === 0) {
      const hidden = required(out, "last_hidden_state");
      this.promptLastHidden = sliceTokens(hidden, steps - 1, steps).data;
    }
    if (this.attentionNames.length > 0) {
      // The attention row of the position that predicts the next token: the last query of this call.
      this.attentionRows.push(this.attentionNames.map((name) => lastQuery(required(out, name))));
    }
    return lastPosition(required(out, "logits"));
  }
}

/** [1, heads, Q, K] → [1, heads, 1, K] (the last query row). */
function lastQuery(attention: Tensor<Float32Array>): Tensor<Float32Array> {
  const [, heads = 0, queries = 0, keys = 0] = attention.dims;
  const out = new Float32Array(heads * keys);
  for (let h = 0; h < heads; h++) {
    const src = (h * queries + queries - 1) * keys;
    out.set(attention.data.subarray(src, src + keys), h * keys);
  }
  return { data: out, dims: [1, heads, 1, keys] };
}
