/**
 * A set of point indices written compactly for a URL: sorted runs "a-b" and singles "c" in base 36, joined by
 * ".", e.g. {0,1,2,3,9,40} → "0-3.9.14". A lasso selects neighbours, and neighbours in a projection are often
 * neighbours in the dataset's order, so runs keep even large selections short.
 */

const RADIX = 36;
const PART = /^([0-9a-z]+)(?:-([0-9a-z]+))?$/;

export function encodeIndexRanges(indices: Iterable<number>): string {
  const sorted = [...new Set(indices)].sort((a, b) => a - b);
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
  const indices: number[] = [];
  for (const part of text.split(".")) {
    const match = PART.exec(part);
    if (match === null) throw new Error(`"${part}" is not an index or a range`);
    const start = Number.parseInt(match[1] as string, RADIX);
    const end = match[2] === undefined ? start : Number.parseInt(match[2], RADIX);
    if (end < start || end >= limit) throw new Error(`range "${part}" is outside 0..${limit - 1}`);
    for (let i = start; i <= end; i++) indices.push(i);
  }
  return [...new Set(indices)].sort((a, b) => a - b);
}
