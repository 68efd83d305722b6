/**
 * A set of point indices as the explorer's lasso, linked panels and gallery use it: a bitset for membership
 * (one byte a point: a million points are 1 MB and `has` is one load) and the sorted indices for iteration and
 * the URL. Built once per selection; panels of any run map their rows through it.
 */
export class PointSet implements Iterable<number> {
  static readonly EMPTY = new PointSet(new Uint32Array(0), new Uint8Array(0));

  private constructor(
    /** Sorted, without repeats. */
    readonly indices: Uint32Array,
    private readonly bits: Uint8Array,
  ) {}

  /** The set of `indices` (any order, repeats allowed) among points 0..universe-1; others are dropped. */
  static of(indices: ArrayLike<number>, universe: number): PointSet {
    if (indices.length === 0) return PointSet.EMPTY;
    const bits = new Uint8Array(universe);
    let size = 0;
    for (let i = 0; i < indices.length; i++) {
      const index = indices[i] as number;
      if (index >= 0 && index < universe && bits[index] === 0) {
        bits[index] = 1;
        size++;
      }
    }
    const sorted = new Uint32Array(size);
    for (let index = 0, k = 0; k < size; index++) if (bits[index] === 1) sorted[k++] = index;
    return new PointSet(sorted, bits);
  }

  get size(): number {
    return this.indices.length;
  }

  has(index: number): boolean {
    return this.bits[index] === 1;
  }

  [Symbol.iterator](): Iterator<number> {
    return this.indices[Symbol.iterator]();
  }
}
