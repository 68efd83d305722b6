import type { Tensor } from "~/lib/tensor";
import { required } from "./encode";
import { lastPosition, vocabularySize } from "./florence-decoder";
import type { Stepper } from "./generation";
import { gatherRows, KvCache } from "./kv-cache";
import type { LanguageModelParts } from "./load-model";
import type { FeedValue, OrtGraph } from "./ort-graph";
import type { EmbedTokens } from "./token-embeddings";
import { concatTokens, ones64, repeatRows, sliceTokens } from "./token-ops";

const PAST_INPUT = /^past_key_values\.(\d+)\.(key|value)$/;
const ATTENTION_OUTPUT = /^attentions\.\d+$/;

/**
 * Prompt prefixes that several prompts start with (the text before the image and the image, shared by every
 * question about it): [U, Pp, hidden], run once on first use for their key/value cache.
 */
export class PromptPrefixes {
  private past: Promise<ReadonlyMap<string, Tensor<Float32Array>>> | null = null;

  constructor(
    private readonly lm: LanguageModelParts,
    readonly embeds: Tensor<Float32Array>,
  ) {}

  /** The prefixes' key/value cache, [U, heads, Pp, headDim] per past input. */
  cache(): Promise<ReadonlyMap<string, Tensor<Float32Array>>> {
    this.past ??= this.run();
    return this.past;
  }

  private async run(): Promise<ReadonlyMap<string, Tensor<Float32Array>>> {
    const { decoder } = this.lm;
    const cache = new KvCache(decoder, PAST_INPUT);
    const out = await decoder.run(
      uncachedFeeds(decoder, this.embeds),
      decoder.outputs.map((o) => o.name).filter((n) => n.startsWith("present.")),
    );
    cache.update(out);
    return cache.snapshot();
  }
}

/** Prompt n of a batch continues prefix `ofPrompt[n]` of `prefixes`. */
export interface SharedPrefix {
  prefixes: PromptPrefixes;
  ofPrompt: readonly number[];
}

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

  /**
   * With `prefix`, `promptEmbeds` holds only what follows each prompt's prefix: the prompts start from their
   * prefix's cache, which for a causal model gives the logits of the whole prompts (without a cache, the whole
   * prompts run).
   */
  private readonly promptEmbeds: Tensor<Float32Array>;
  private readonly prefix: SharedPrefix | null;

  constructor(
    private readonly lm: LanguageModelParts,
    promptEmbeds: Tensor<Float32Array>,
    private readonly embed: EmbedTokens,
    private readonly useCache: boolean,
    prefix: SharedPrefix | null = null,
  ) {
    this.vocabSize = vocabularySize(lm.decoder);
    this.sequenceCount = promptEmbeds.dims[0] ?? 1;
    this.cache = new KvCache(lm.decoder, PAST_INPUT);
    this.attentionNames = lm.decoder.outputs.map((o) => o.name).filter((n) => ATTENTION_OUTPUT.test(n));
    // Without a cache every step re-runs the whole prompts: the prefixes are joined to them here.
    const isJoined = prefix !== null && !this.isCaching;
    this.promptEmbeds = isJoined
      ? concatTokens([gatherRows(prefix.prefixes.embeds, prefix.ofPrompt), promptEmbeds])
      : promptEmbeds;
    this.prefix = isJoined ? null : prefix;
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
    if (this.prefix !== null) {
      this.cache.restore(await this.prefix.prefixes.cache());
      this.cache.reorder(this.prefix.ofPrompt);
    }
    const logits = await this.run(this.promptEmbeds, this.prefix !== null);
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
  const out = await lm.decoder.run(uncachedFeeds(lm.decoder, inputsEmbeds), ["last_hidden_state"]);
  return required(out, "last_hidden_state");
}

/** A pass over whole sequences [rows, T, hidden] from an empty cache. */
function uncachedFeeds(decoder: OrtGraph, inputsEmbeds: Tensor<Float32Array>): Record<string, FeedValue> {
  const [rows = 1, length = 0] = inputsEmbeds.dims;
  return {
    inputs_embeds: inputsEmbeds,
    attention_mask: ones64([rows, length]),
    ...new KvCache(decoder, PAST_INPUT).feeds(rows, false),
  };
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
