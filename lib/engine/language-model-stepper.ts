import type { Tensor } from "~/lib/tensor";
import { required } from "./encode";
import { lastPosition, vocabularySize } from "./florence-decoder";
import type { Stepper } from "./generation";
import { KvCache } from "./kv-cache";
import type { LanguageModelParts } from "./load-model";
import { concatTokens, ones64, repeatRows, sliceTokens } from "./token-ops";

const PAST_INPUT = /^past_key_values\.(\d+)\.(key|value)$/;
const ATTENTION_OUTPUT = /^attentions\.\d+$/;

/** Embeds token ids [rows, T] → [rows, T, hidden] with the language model's own table. */
export type EmbedTokens = (ids: readonly number[], rows: number) => Promise<Tensor<Float32Array>>;

/**
 * The language model as a Stepper over one prompt (text embeddings with the visual tokens spliced in), expanded to
 * `rows` beams after the prompt. With the cache each step feeds only the new tokens; without it (for comparison)
 * every step re-runs the prompt and all generated tokens.
 */
export class LanguageModelStepper implements Stepper {
  readonly vocabSize: number;
  /** Per step of a single-row run: each layer's attention row of the query that predicted that step's token. */
  readonly attentionRows: Tensor<Float32Array>[][] = [];
  /** Last-layer hidden state at the last prompt position [hidden]. */
  promptLastHidden: Float32Array = new Float32Array(0);
  private readonly cache: KvCache;
  private readonly attentionNames: string[];
  private rows = 1;
  private generated: number[][] = [];

  constructor(
    private readonly lm: LanguageModelParts,
    private readonly promptEmbeds: Tensor<Float32Array>,
    private readonly embed: EmbedTokens,
    private readonly useCache: boolean,
  ) {
    this.vocabSize = vocabularySize(lm.decoder);
    this.cache = new KvCache(lm.decoder, PAST_INPUT);
    this.attentionNames = lm.decoder.outputs.map((o) => o.name).filter((n) => ATTENTION_OUTPUT.test(n));
  }

  get hasAttention(): boolean {
    return this.attentionNames.length > 0;
  }

  private get isCaching(): boolean {
    return this.useCache && this.cache.isSupported;
  }

  async first(rows: number): Promise<Float32Array> {
    this.cache.clear();
    this.attentionRows.length = 0;
    this.rows = 1;
    this.generated = Array.from({ length: rows }, () => []);
    // The prompt runs once; its cache and logits are then copied to every beam.
    const logits = await this.run(this.promptEmbeds, false);
    this.rows = rows;
    if (rows === 1) return logits;
    this.cache.reorder(new Array<number>(rows).fill(0));
    return repeatRows({ data: logits, dims: [1, this.vocabSize] }, rows).data;
  }

  async next(tokens: readonly number[], parents: readonly number[]): Promise<Float32Array> {
    this.generated = parents.map((parent, row) => [...(this.generated[parent] ?? []), tokens[row] ?? 0]);
    if (this.isCaching) {
      this.cache.reorder(parents);
      return this.run(await this.embed(tokens, this.rows), true);
    }
    const answer = await this.embed(this.generated.flat(), this.rows);
    return this.run(concatTokens([repeatRows(this.promptEmbeds, this.rows), answer]), false);
  }

  private async run(inputsEmbeds: Tensor<Float32Array>, isCached: boolean): Promise<Float32Array> {
    const steps = inputsEmbeds.dims[1] ?? 1;
    const past = isCached ? this.cache.pastLength : 0;
    const isPrompt = this.promptLastHidden.length === 0;
    const wanted = [
      "logits",
      ...(isPrompt ? ["last_hidden_state"] : []),
      ...(this.isCaching
        ? this.lm.decoder.outputs.map((o) => o.name).filter((n) => n.startsWith("present."))
        : []),
      ...(this.rows === 1 ? this.attentionNames : []),
    ];
    const out = await this.lm.decoder.run(
      {
        inputs_embeds: inputsEmbeds,
        attention_mask: ones64([this.rows, past + steps]),
        ...this.cache.feeds(this.rows, isCached),
      },
      wanted,
    );
    if (this.isCaching) this.cache.update(out);
    if (isPrompt)
      this.promptLastHidden = sliceTokens(required(out, "last_hidden_state"), steps - 1, steps).data;
    if (this.rows === 1 && this.hasAttention)
      this.attentionRows.push(this.attentionNames.map((name) => lastQuery(required(out, name))));
    return lastPosition(required(out, "logits"));
  }
}

/** One pass without a cache: the last-layer hidden states of every position [1, T, hidden]. */
export async function lastHiddenStates(
  lm: LanguageModelParts,
  inputsEmbeds: Tensor<Float32Array>,
): Promise<Tensor<Float32Array>> {
  const out = await lm.decoder.run(
    {
      inputs_embeds: inputsEmbeds,
      attention_mask: ones64([1, inputsEmbeds.dims[1] ?? 0]),
      ...new KvCache(lm.decoder, PAST_INPUT).feeds(1, false),
    },
    ["last_hidden_state"],
  );
  return required(out, "last_hidden_state");
}

/** [1, heads, Q, K] → [1, heads, 1, K]: the row of the last query (the position predicting the next token). */
function lastQuery(attention: Tensor<Float32Array>): Tensor<Float32Array> {
  const [, heads = 0, queries = 0, keys = 0] = attention.dims;
  if (queries === 1) return attention;
  const out = new Float32Array(heads * keys);
  for (let h = 0; h < heads; h++) {
    const src = (h * queries + queries - 1) * keys;
    out.set(attention.data.subarray(src, src + keys), h * keys);
  }
  return { data: out, dims: [1, heads, 1, keys] };
}
