import type { Tensor } from "~/lib/tensor";
import type { FeedValue, OrtGraph } from "./ort-graph";

/**
 * The key/value cache of one decoder graph, shared by the Florence-2 decoder and the language model: a call's
 * `present.*` outputs become the next call's `past_key_values.*` inputs; beam search reorders rows by parent.
 * Tensors are [rows, heads, past, headDim].
 */
export class KvCache {
  private readonly entries = new Map<string, Tensor<Float32Array>>();
  private readonly pastInputs: readonly { name: string; heads: number; headDim: number }[];

  constructor(graph: OrtGraph, pastPattern: RegExp) {
    this.pastInputs = graph.inputs
      .filter((input) => pastPattern.test(input.name))
      .map((input) => ({
        name: input.name,
        heads: typeof input.shape[1] === "number" ? input.shape[1] : 1,
        headDim: typeof input.shape[3] === "number" ? input.shape[3] : 1,
      }));
  }

  /** Whether the graph takes a cache at all. */
  get isSupported(): boolean {
    return this.pastInputs.length > 0;
  }

  /** Positions already in the cache (0 when empty). */
  get pastLength(): number {
    const first = this.pastInputs[0];
    return (first && this.entries.get(first.name)?.dims[2]) ?? 0;
  }

  clear(): void {
    this.entries.clear();
  }

  /** The cached tensors, for another cache of the same graph to start from (tensors are never changed in place). */
  snapshot(): ReadonlyMap<string, Tensor<Float32Array>> {
    return new Map(this.entries);
  }

  restore(entries: ReadonlyMap<string, Tensor<Float32Array>>): void {
    this.entries.clear();
    for (const [name, tensor] of entries) this.entries.set(name, tensor);
  }

  /** Keeps the call's `present.*` outputs as the next past; `isKept(past)` false leaves that entry as it was. */
  update(
    outputs: Readonly<Record<string, Tensor<Float32Array>>>,
    isKept: (pastName: string) => boolean = () => true,
  ): void {
    for (const [name, tensor] of Object.entries(outputs)) {
      if (!name.startsWith("present.")) continue;
      const past = `past_key_values.${name.slice("present.".length)}`;
      if (isKept(past)) this.entries.set(past, tensor);
    }
  }

  /** The past inputs for `rows` sequences: cached tensors, or zero-length ones when `isCached` is false. */
  feeds(rows: number, isCached = true): Record<string, FeedValue> {
    const feeds: Record<string, FeedValue> = {};
    for (const { name, heads, headDim } of this.pastInputs) {
      const cached = isCached ? this.entries.get(name) : undefined;
      feeds[name] = cached ?? { data: new Float32Array(0), dims: [rows, heads, 0, headDim] };
    }
    return feeds;
  }

  /** Row r becomes the old row `parents[r]` (beam search), for the entries `isReordered` selects. */
  reorder(parents: readonly number[], isReordered: (pastName: string) => boolean = () => true): void {
    const isIdentity = parents.every((parent, row) => parent === row);
    for (const [name, tensor] of this.entries)
      if (!(isIdentity && tensor.dims[0] === parents.length) && isReordered(name))
        this.entries.set(name, gatherRows(tensor, parents));
  }
}

/** Rows of a [rows, ...] tensor picked by `parents` (float states or int64 masks). */
export function gatherRows<T extends Float32Array | BigInt64Array>(
  tensor: Tensor<T>,
  parents: readonly number[],
): Tensor<T> {
  const [, ...rest] = tensor.dims;
  const size = rest.reduce((a, d) => a * d, 1);
  const out = new (tensor.data.constructor as new (length: number) => T)(parents.length * size);
  for (const [row, parent] of parents.entries())
    out.set(tensor.data.subarray(parent * size, (parent + 1) * size) as never, row * size);
  return { data: out, dims: [parents.length, ...rest] };
}
