import type { Tensor } from "~/lib/tensor";
import { required } from "./encode";
import { ModelFolderError } from "./errors";
import type { Stepper } from "./generation";
import { gatherRows, KvCache } from "./kv-cache";
import type { LoadedModel } from "./load-model";
import type { FeedValue, OrtGraph } from "./ort-graph";
import { tokenEmbedder } from "./token-embeddings";
import { concatBatch } from "./token-ops";

const PAST_INPUT = /^past_key_values\.(\d+)\.(decoder|encoder)\.(key|value)$/;
const isSelfAttention = (past: string) => past.includes(".decoder.");

/** One encoded prompt as the decoder reads it: [1, S, d] and its mask [1, S]. */
export interface EncodedPrompt {
  hiddenStates: Tensor<Float32Array>;
  attentionMask: Tensor<BigInt64Array>;
}

/** Encoder positions are padded (masked out) to a multiple of this, so prompts of nearby lengths decode together. */
const KEY_LENGTH_STEP = 16;

/** The encoder length a prompt of `length` positions is decoded at: its cross-attention keys, padding included. */
export function decoderKeyLength(length: number): number {
  return Math.ceil(length / KEY_LENGTH_STEP) * KEY_LENGTH_STEP;
}

/**
 * The Florence-2 decoder as a Stepper over a batch of encoded prompts of one padded length (`decoderKeyLength`),
 * each expanded to `rows` beams. A prompt is decoded at that padded length whether alone or in a batch, and rows of
 * equal shape do not change each other's logits, so each row's logits are those of its prompt decoded alone. With
 * a cache it feeds one token per step and reorders the cache by parent row; without, it re-runs every sequence.
 */
export class FlorenceDecoderStepper implements Stepper {
  readonly vocabSize: number;
  readonly sequenceCount: number;
  private rows = 1;
  /** Row r decodes prompt `rowPrompt[r]`. */
  private rowPrompt: number[] = [];
  private encoderMask!: Tensor<BigInt64Array>;
  private sequences: number[][] = [];
  private readonly cache: KvCache;
  private readonly encoded: { states: Tensor<Float32Array>; mask: Tensor<BigInt64Array> };
  /** Each prompt's own encoder length S (the keys its cross-attention maps keep). */
  private readonly keyLengths: number[];

  constructor(
    private readonly model: LoadedModel,
    prompts: readonly EncodedPrompt[],
    private readonly useCache: boolean,
  ) {
    this.vocabSize = vocabularySize(model.decoder);
    this.cache = new KvCache(model.decoder, PAST_INPUT);
    this.sequenceCount = prompts.length;
    this.keyLengths = prompts.map((p) => p.hiddenStates.dims[1] ?? 0);
    const length = decoderKeyLength(this.keyLengths[0] ?? 0);
    if (this.keyLengths.some((s) => decoderKeyLength(s) !== length))
      throw new Error("a decoder batch needs encoded prompts of one padded length");
    this.encoded = {
      states: concatBatch(prompts.map((p) => padPositions(p.hiddenStates, length))),
      mask: concatBatch(prompts.map((p) => padPositions(p.attentionMask, length))),
    };
  }

  async first(rows: number): Promise<Float32Array> {
    this.rows = rows;
    this.rowPrompt = Array.from({ length: this.sequenceCount * rows }, (_, r) => Math.floor(r / rows));
    this.encoderMask = gatherRows(this.encoded.mask, this.rowPrompt);
    this.sequences = this.rowPrompt.map(() => [this.model.generation.decoderStartId]);
    this.cache.clear();
    return this.run(
      this.sequences.map((s) => s.slice(-1)),
      false,
    );
  }

  async next(tokens: readonly number[], parents: readonly number[]): Promise<Float32Array> {
    this.sequences = parents.map((parent, row) => [...(this.sequences[parent] ?? []), tokens[row] ?? 0]);
    const rowPrompt = parents.map((parent) => this.rowPrompt[parent] ?? 0);
    // Beams of one prompt share its encoder rows; they move only when rows change prompt or leave the batch.
    const isPromptMoved =
      rowPrompt.length !== this.rowPrompt.length || rowPrompt.some((p, r) => p !== this.rowPrompt[r]);
    this.rowPrompt = rowPrompt;
    this.rows = parents.length;
    if (isPromptMoved) this.encoderMask = gatherRows(this.encoderMask, parents);
    if (!this.useCache || !this.cache.isSupported) return this.run(this.sequences, false);
    this.cache.reorder(parents, (past) => isPromptMoved || isSelfAttention(past));
    return this.run(
      tokens.map((token) => [token]),
      true,
    );
  }

  /**
   * Teacher-forced pass over `[start, ...ids[:-1]]` for each prompt's answer (one row per prompt, answers
   * right-padded: the decoder is causal, so padding after an answer does not reach its positions). Cross-attention
   * per layer [1, heads, T, S] of each prompt, or null when the graph does not export it.
   */
  async crossAttention(answers: readonly (readonly number[])[]): Promise<Tensor<Float32Array>[][] | null> {
    const names = this.model.decoder.outputs
      .map((o) => o.name)
      .filter((n) => /^cross_attentions\.\d+$/.test(n));
    if (names.length === 0) return null;
    await this.first(1);
    const { decoderStartId, padId } = this.model.generation;
    const length = Math.max(1, ...answers.map((ids) => ids.length));
    const padded = answers.map((ids) => {
      const sequence = [decoderStartId, ...ids.slice(0, -1)];
      return [...sequence, ...new Array<number>(length - sequence.length).fill(padId)];
    });
    const out = await this.model.decoder.run(await this.feeds(padded, false), names);
    return answers.map((ids, row) =>
      names.map((name) =>
        cropCrossAttention(required(out, name), row, Math.max(1, ids.length), this.keyLengths[row] ?? 0),
      ),
    );
  }

  private async run(tokens: readonly number[][], useCacheBranch: boolean): Promise<Float32Array> {
    const feeds = await this.feeds(tokens, useCacheBranch);
    const isCaching = this.cache.isSupported && this.useCache;
    // Only what the next step reads: the encoder keys/values come back from the first step alone (later steps
    // pass them through), and attention outputs are left in the graph.
    const wanted = this.model.decoder.outputs
      .map((o) => o.name)
      .filter(
        (name) =>
          name === "logits" ||
          (isCaching && name.startsWith("present.") && (!useCacheBranch || name.includes(".decoder."))),
      );
    const out = await this.model.decoder.run(feeds, wanted);
    // Encoder keys/values do not change after the first step; keep the first step's.
    if (isCaching) this.cache.update(out, (past) => !useCacheBranch || isSelfAttention(past));
    return lastPosition(required(out, "logits"));
  }

  private async feeds(
    tokens: readonly number[][],
    useCacheBranch: boolean,
  ): Promise<Record<string, FeedValue>> {
    const embeds = await tokenEmbedder(this.model.embedTokens)(tokens.flat(), tokens.length);
    const [, , dim = 0] = this.encoded.states.dims;
    const feeds: Record<string, FeedValue> = {
      inputs_embeds: embeds,
      // With the cache the encoder keys/values come from the past: zero encoder positions keep a graph that
      // projects encoder_hidden_states on every step (the mini export keeps only positions past the cached ones)
      // from recomputing and discarding them.
      encoder_hidden_states: useCacheBranch
        ? { data: new Float32Array(0), dims: [this.rows, 0, dim] }
        : gatherRows(this.encoded.states, this.rowPrompt),
      encoder_attention_mask: this.encoderMask,
    };
    if (this.model.decoder.hasInput("use_cache_branch"))
      feeds.use_cache_branch = { data: [useCacheBranch], dims: [1] };
    return { ...feeds, ...this.cache.feeds(this.rows, useCacheBranch) };
  }
}

/** [1, S, ...] → [1, length, ...], zeros after S (masked-out positions of the states and their mask). */
function padPositions<T extends Float32Array | BigInt64Array>(tensor: Tensor<T>, length: number): Tensor<T> {
  const [, positions = 0, ...rest] = tensor.dims;
  const size = rest.reduce((a, d) => a * d, 1);
  const out = new (tensor.data.constructor as new (length: number) => T)(length * size);
  out.set(tensor.data.subarray(0, positions * size) as never);
  return { data: out, dims: [1, length, ...rest] };
}

/** [rows, heads, T, S'] → row `row`'s first `steps` queries over its first `keys` keys, [1, heads, steps, keys]. */
function cropCrossAttention(
  attention: Tensor<Float32Array>,
  row: number,
  steps: number,
  keys: number,
): Tensor<Float32Array> {
  const [, heads = 0, queries = 0, padded = 0] = attention.dims;
  const out = new Float32Array(heads * steps * keys);
  for (let h = 0; h < heads; h++) {
    for (let q = 0; q < steps; q++) {
      const src = ((row * heads + h) * queries + q) * padded;
      out.set(attention.data.subarray(src, src + keys), (h * steps + q) * keys);
    }
  }
  return { data: out, dims: [1, heads, steps, keys] };
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
