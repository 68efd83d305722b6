import { decodeIndexRanges, encodeIndexRanges } from "./index-ranges";
import { PointSet } from "./point-set";

/** Selections as a URL holds them (`encodeIndexRanges` text) and back, among points 0..universe-1. */
export interface SelectionCodec {
  encode(indices: ArrayLike<number>, universe: number): string;
  /** A malformed or stale text is no selection. */
  decode(text: string, universe: number): PointSet;
}

/**
 * A codec that keeps the set it last encoded with its text: decoding a large selection (a lasso over a million
 * points is a bitset of half a million indices) costs as much again as building it, and a selection's own trip
 * through the URL then comes back as the set it was.
 */
export function createSelectionCodec(): SelectionCodec {
  let last: { text: string; universe: number; set: PointSet } | null = null;
  return {
    encode(indices, universe) {
      const set = PointSet.of(indices, universe);
      const text = encodeIndexRanges(set.indices);
      last = { text, universe, set };
      return text;
    },
    decode(text, universe) {
      if (last !== null && last.text === text && last.universe === universe) return last.set;
      try {
        return PointSet.of(decodeIndexRanges(text, universe), universe);
      } catch {
        // A hand-edited or stale URL: the view without a selection rather than a failure.
        return PointSet.EMPTY;
      }
    },
  };
}
