import type { Tensor } from "~/lib/tensor";
import { required } from "./encode";
import { lastPosition, vocabularySize } from "./florence-decoder";
import type { Stepper } from "./generation";
import { gatherRows, KvCache } from "./kv-cache";
import type { LanguageModelParts } from "./load-model";
import type { EmbedTokens } from "./token-embeddings";
import { concatTokens, ones64, repeatRows, sliceTokens } from "./token-ops";

const PAST_INPUT = /^past_key_values\.(\d+)\.(key|value)$/;
const ATTENTION_OUTPUT = /^attentions\.\d+$/;

/**
 * The language model as a Stepper over a batch of prompts of one length (text embeddings with the visual tokens
 * spliced in, [N, P, hidden]; the graph places tokens at past_length + arange(T), so rows of one length are what a
 * batch can hold without moving positions), each expanded to `rows` beams after the prompt. With the cache each
 * step feeds only the new tokens; without it (for comparison) every step re-runs the prompt and all generated tokens.
 */
export class LanguageModelStepper implements Stepper {
  readonly vocabSize: number;
  readonly sequenceCount: number;
  /**
   * Per row of a greedy run (one row per prompt), per step: each layer's attention row of the query that predicted
   * that step's token. Rows follow the batch: `attentionRows[s]` is prompt s's.
   */
  readonly attentionRows: Tensor<Float32Array>[][][] = [];
  /** Per prompt, the last-layer hidden state at its last prompt position [hidden]. */
  promptLastHidden: Float32Array[] = [];
  private readonly cache: KvCache;
  private readonly attentionNames: string[];
  private rows = 1;
  private beams = 1;
  private generated: number[][] = [];
  /** Row r of the current batch continues prompt `rowPrompt[r]`. */
  private rowPrompt: number[] = [];

  constructor(
    private readonly lm: LanguageModelParts,
    private readonly promptEmbeds: Tensor<Float32Array>,
    private readonly embed: EmbedTokens,
    private readonly useCache: boolean,
  ) {
    this.vocabSize = vocabularySize(lm.decoder);
    this.sequenceCount = promptEmbeds.dims[0] ?? 1;
    this.cache = new KvCache(lm.decoder, PAST_INPUT);
    this.attentionNames = lm.decoder.outputs.map((o) => o.name).filter((n) => ATTENTION_OUTPUT.test(n));
  }

  get hasAttention(): boolean {
    return this.attentionNames.length > 0;
  }

  private get isCaching(): boolean {
    return this.useCache && this.cache.isSupported;
  }

  /** Attention rows are kept in greedy runs (one row per prompt); beams replay their chosen answer instead. */
  private get isKeepingAttention(): boolean {
    return this.hasAttention && this.beams === 1;
  }

  async first(rows: number): Promise<Float32Array> {
    this.cache.clear();
    const prompts = this.sequenceCount;
    this.beams = rows;
    this.rows = prompts;
    this.rowPrompt = Array.from({ length: prompts }, (_, s) => s);
    this.attentionRows.length = 0;
    this.attentionRows.push(...this.rowPrompt.map(() => []));
    this.promptLastHidden = [];
    // Each prompt runs once; its cache and logits are then copied to every beam.
    const logits = await this.run(this.promptEmbeds, false);
    this.generated = Array.from({ length: prompts * rows }, () => []);
    if (rows === 1) return logits;
    this.rowPrompt = Array.from({ length: prompts * rows }, (_, r) => Math.floor(r / rows));
    this.rows = this.rowPrompt.length;
    this.cache.reorder(this.rowPrompt);
    return repeatRows({ data: logits, dims: [prompts, this.vocabSize] }, rows).data;
  }

  async next(tokens: readonly number[], parents: readonly number[]): Promise<Float32Array> {
    this.generated = parents.map((parent, row) => [...(this.generated[parent] ?? []), tokens[row] ?? 0]);
    this.rowPrompt = parents.map((parent) => this.rowPrompt[parent] ?? 0);
    this.rows = parents.length;
    if (this.isCaching) {
      this.cache.reorder(parents);
      return this.run(await this.embed(tokens, this.rows), true);
    }
    const answer = await this.embed(this.generated.flat(), this.rows);
    return this.run(concatTokens([gatherRows(this.promptEmbeds, this.rowPrompt), answer]), false);
  }

  private async run(inputsEmbeds: Tensor<Float32Array>, isCached: boolean): Promise<Float32Array> {
    const steps = inputsEmbeds.dims[1] ?? 1;
    const past = isCached ? this.cache.pastLength : 0;
    const isPrompt = this.promptLastHidden.length === 0;
    const isKeepingAttention = this.isKeepingAttention;
    const wanted = [
      "logits",
      ...(isPrompt ? ["last_hidden_state"] : []),
      ...(this.isCaching
        ? this.lm.decoder.outputs.map((o) => o.name).filter((n) => n.startsWith("present."))
        : []),
      ...(isKeepingAttention ? this.attentionNames : []),
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
    if (isPrompt) {
      const last = sliceTokens(required(out, "last_hidden_state"), steps - 1, steps); // [N, 1, hidden]
      const hidden = last.dims[2] ?? 0;
      this.promptLastHidden = this.rowPrompt.map((_, r) => last.data.slice(r * hidden, (r + 1) * hidden));
    }
    if (isKeepingAttention) {
      const layers = this.attentionNames.map((name) => required(out, name));
      for (const [r, prompt] of this.rowPrompt.entries())
        this.attentionRows[prompt]?.push(layers.map((attention) => lastQuery(attention, r)));
    }
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

/** [rows, heads, Q, K] → row `row`'s [1, heads, 1, K]: the last query's (the position predicting the next token). */
function lastQuery(attention: Tensor<Float32Array>, row: number): Tensor<Float32Array> {
  const [, heads = 0, queries = 0, keys = 0] = attention.dims;
  const out = new Float32Array(heads * keys);
  for (let h = 0; h < heads; h++) {
    const src = ((row * heads + h) * queries + queries - 1) * keys;
    out.set(attention.data.subarray(src, src + keys), h * keys);
  }
  return { data: out, dims: [1, heads, 1, keys] };
}
