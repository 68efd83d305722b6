import type { Tensor } from "~/lib/tensor";
import { required } from "./encode";
import { ModelFolderError } from "./errors";
import type { Stepper } from "./generation";
import { KvCache } from "./kv-cache";
import type { LoadedModel } from "./load-model";
import type { FeedValue, OrtGraph } from "./ort-graph";
import { int64, repeatRows } from "./token-ops";

const PAST_INPUT = /^past_key_values\.(\d+)\.(decoder|encoder)\.(key|value)$/;
const isSelfAttention = (past: string) => past.includes(".decoder.");

/**
 * The Florence-2 decoder as a Stepper for one encoded prompt, expanded to `rows` beams. With a cache it feeds
 * one token per step and reorders the cache by beam parent; without, it re-runs the whole sequence.
 */
export class FlorenceDecoderStepper implements Stepper {
  readonly vocabSize: number;
  private rows = 1;
  private encoderStates!: Tensor<Float32Array>;
  private encoderMask!: Tensor<BigInt64Array>;
  private sequences: number[][] = [];
  private readonly cache: KvCache;

  constructor(
    private readonly model: LoadedModel,
    private readonly encoded: { hiddenStates: Tensor<Float32Array>; attentionMask: Tensor<BigInt64Array> },
    private readonly useCache: boolean,
  ) {
    this.vocabSize = vocabularySize(model.decoder);
    this.cache = new KvCache(model.decoder, PAST_INPUT);
  }

  async first(rows: number): Promise<Float32Array> {
    this.rows = rows;
    this.encoderStates = repeatRows(this.encoded.hiddenStates, rows);
    this.encoderMask = {
      data: new BigInt64Array(rows * (this.encoded.attentionMask.dims[1] ?? 0)).fill(1n),
      dims: [rows, this.encoded.attentionMask.dims[1] ?? 0],
    };
    this.sequences = Array.from({ length: rows }, () => [this.model.generation.decoderStartId]);
    this.cache.clear();
    return this.run(
      this.sequences.map((s) => s.slice(-1)),
      false,
    );
  }

  async next(tokens: readonly number[], parents: readonly number[]): Promise<Float32Array> {
    this.sequences = parents.map((parent, row) => [...(this.sequences[parent] ?? []), tokens[row] ?? 0]);
    if (!this.useCache || !this.cache.isSupported) return this.run(this.sequences, false);
    this.cache.reorder(parents, isSelfAttention);
    return this.run(
      tokens.map((token) => [token]),
      true,
    );
  }

  /** Teacher-forced pass over `[start, ...ids[:-1]]`: cross-attention per layer [1, heads, T, S], when exported. */
  async crossAttention(ids: readonly number[]): Promise<Tensor<Float32Array>[] | null> {
    const names = this.model.decoder.outputs
      .map((o) => o.name)
      .filter((n) => /^cross_attentions\.\d+$/.test(n));
    if (names.length === 0) return null;
    await this.first(1);
    const sequence = [this.model.generation.decoderStartId, ...ids.slice(0, -1)];
    const out = await this.model.decoder.run(await this.feeds([sequence], false), names);
    return names.map((name) => required(out, name));
  }

  private async run(tokens: readonly number[][], useCacheBranch: boolean): Promise<Float32Array> {
    const feeds = await this.feeds(tokens, useCacheBranch);
    const out = await this.model.decoder.run(feeds);
    // Encoder keys/values do not change after the first step; keep the first step's.
    if (this.cache.isSupported && this.useCache)
      this.cache.update(out, (past) => !useCacheBranch || isSelfAttention(past));
    return lastPosition(required(out, "logits"));
  }

  private async feeds(
    tokens: readonly number[][],
    useCacheBranch: boolean,
  ): Promise<Record<string, FeedValue>> {
    const length = tokens[0]?.length ?? 1;
    const embeds = required(
      await this.model.embedTokens.run({ input_ids: int64(tokens.flat(), [tokens.length, length]) }),
      "inputs_embeds",
    );
    const feeds: Record<string, FeedValue> = {
      inputs_embeds: embeds,
      encoder_hidden_states: this.encoderStates,
      encoder_attention_mask: this.encoderMask,
    };
    if (this.model.decoder.hasInput("use_cache_branch"))
      feeds.use_cache_branch = { data: [useCacheBranch], dims: [1] };
    return { ...feeds, ...this.cache.feeds(this.rows, useCacheBranch) };
  }
}

/** The logits' last dimension, fixed in every Florence-2 export. */
export function vocabularySize(graph: OrtGraph): number {
  const vocab = graph.outputs.find((o) => o.name === "logits")?.shape[2];
  if (typeof vocab !== "number") {
    throw new ModelFolderError(
      "wrong-shape",
      graph.file,
      "logits [batch, sequence, vocabulary] with a fixed vocabulary size",
    );
  }
  return vocab;
}

/** logits [rows, T, vocab] → the last position's [rows, vocab]. */
export function lastPosition(logits: Tensor<Float32Array>): Float32Array {
  const [rows = 1, steps = 1, vocab = 0] = logits.dims;
  const out = new Float32Array(rows * vocab);
  for (let r = 0; r < rows; r++)
    out.set(logits.data.subarray((r * steps + steps - 1) * vocab, (r * steps + steps) * vocab), r * vocab);
  return out;
}
