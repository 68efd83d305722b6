/**
 * A set of point indices written compactly for a URL: sorted runs "a-b" and singles "c" in base 36, joined by
 * ".", e.g. {0,1,2,3,9,40} → "0-3.9.14". A lasso selects neighbours, and neighbours in a projection are often
 * neighbours in the dataset's order, so runs keep most selections short. When they would not (a lasso over a
 * million points picks hundreds of thousands of scattered indices), the set is written as a bitset instead:
 * "~" and the base64url of one bit per index up to the largest (bit i is bit i % 8 of byte i / 8).
 */
import { base64OfTypedArray, bytesOfBase64 } from "~/lib/codec/base64";

const RADIX = 36;
const RUN_CHARS = 6;
const BITSET = "~";
const READABLE_CHARS = 4096;
const PART = /^([0-9a-z]+)(?:-([0-9a-z]+))?$/;

export function encodeIndexRanges(indices: Iterable<number>): string {
  const sorted: ArrayLike<number> = isIncreasing(indices)
    ? (indices as unknown as ArrayLike<number>)
    : [...new Set(indices)].sort((a, b) => a - b);
  if (sorted.length === 0) return "";
  let runs = 1;
  for (let k = 1; k < sorted.length; k++) if (sorted[k] !== (sorted[k - 1] as number) + 1) runs++;
  const largest = sorted[sorted.length - 1] as number;
  // About six characters a run against four per three bytes of bitset: whichever is shorter, readable ranges
  // while they are short.
  const bitsetChars = (Math.ceil((largest + 1) / 8) * 4) / 3;
  if (runs * RUN_CHARS > Math.max(READABLE_CHARS, bitsetChars)) return encodeBitset(sorted, largest);
  const parts: string[] = [];
  let i = 0;
  while (i < sorted.length) {
    const start = sorted[i] as number;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1) end = sorted[++i] as number;
    parts.push(end === start ? start.toString(RADIX) : `${start.toString(RADIX)}-${end.toString(RADIX)}`);
    i++;
  }
  return parts.join(".");
}

/** The inverse of `encodeIndexRanges`; indices ≥ `limit` are refused so a crafted URL cannot allocate without bound. */
export function decodeIndexRanges(text: string, limit: number): number[] {
  if (text === "") return [];
  if (text.startsWith(BITSET)) return decodeBitset(text.slice(BITSET.length), limit);
  const indices: number[] = [];
  for (const part of text.split(".")) {
    const match = PART.exec(part);
    if (match === null) throw new Error(`"${part}" is not an index or a range`);
    const start = Number.parseInt(match[1] as string, RADIX);
    const end = match[2] === undefined ? start : Number.parseInt(match[2], RADIX);
    if (end < start || end >= limit) throw new Error(`range "${part}" is outside 0..${limit - 1}`);
    for (let i = start; i <= end; i++) indices.push(i);
  }
  return isIncreasing(indices) ? indices : [...new Set(indices)].sort((a, b) => a - b);
}

/** Already sorted without repeats (a PointSet's indices, a well-formed URL): no need to sort a million again. */
function isIncreasing(indices: Iterable<number>): boolean {
  if (!(Array.isArray(indices) || indices instanceof Uint32Array)) return false;
  for (let i = 1; i < indices.length; i++)
    if ((indices[i] as number) <= (indices[i - 1] as number)) return false;
  return true;
}

function encodeBitset(sorted: ArrayLike<number>, largest: number): string {
  const bits = new Uint8Array(Math.ceil((largest + 1) / 8));
  for (let k = 0; k < sorted.length; k++) {
    const index = sorted[k] as number;
    bits[index >> 3] = (bits[index >> 3] as number) | (1 << (index & 7));
  }
  return BITSET + base64OfTypedArray(bits).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

function decodeBitset(text: string, limit: number): number[] {
  if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("the bitset is not base64url");
  const bits = bytesOfBase64(text.replaceAll("-", "+").replaceAll("_", "/"));
  if (bits.length > Math.ceil(limit / 8)) throw new Error(`the bitset is longer than ${limit} indices`);
  const indices: number[] = [];
  for (let byte = 0; byte < bits.length; byte++) {
    const value = bits[byte] as number;
    if (value === 0) continue;
    for (let bit = 0; bit < 8; bit++) if (value & (1 << bit)) indices.push(8 * byte + bit);
  }
  if ((indices.at(-1) ?? 0) >= limit) throw new Error(`the bitset holds indices outside 0..${limit - 1}`);
  return indices;
}
