import { schemeTableau10 } from "d3";

/** One colour of a legend: what it stands for and how many points carry it. */
export interface LegendEntry {
  label: string;
  colour: string;
  count: number;
}

/** Per-point category codes (indices into `legend`) — what the scatter renderer colours by. */
export interface Categories {
  codes: Uint16Array;
  legend: LegendEntry[];
}

// Ten distinguishable hues (Tableau 10, readable on the dark panel colour); more categories fold into "other".
const PALETTE = schemeTableau10;
const MAX_NAMED = PALETTE.length - 1;
const OTHER_COLOUR = "#5c6573";
const MISSING_COLOUR = "#3a414d";

export const OTHER_LABEL = "other";
export const MISSING_LABEL = "(none)";

/**
 * Groups per-point values into legend categories: the most frequent values first (ties by name), each with its
 * own colour; rarer values share "other", missing ones "(none)". Equal inputs always give equal colours.
 */
export function categorize(values: readonly (string | null)[]): Categories {
  const counts = new Map<string, number>();
  let missing = 0;
  for (const value of values) {
    if (value === null) missing++;
    else counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const ranked = [...counts.entries()].sort(([a, na], [b, nb]) => nb - na || (a < b ? -1 : a > b ? 1 : 0));
  const hasOther = ranked.length > MAX_NAMED + 1;
  const named = hasOther ? ranked.slice(0, MAX_NAMED) : ranked;
  const legend: LegendEntry[] = named.map(([label, count], i) => ({
    label,
    colour: PALETTE[i % PALETTE.length] as string,
    count,
  }));
  const index = new Map(named.map(([label], i) => [label, i]));
  const otherIndex = legend.length;
  if (hasOther) {
    const otherCount = ranked.slice(MAX_NAMED).reduce((sum, [, count]) => sum + count, 0);
    legend.push({ label: OTHER_LABEL, colour: OTHER_COLOUR, count: otherCount });
  }
  const missingIndex = legend.length;
  if (missing > 0) legend.push({ label: MISSING_LABEL, colour: MISSING_COLOUR, count: missing });
  const codes = new Uint16Array(values.length);
  values.forEach((value, i) => {
    codes[i] = value === null ? missingIndex : (index.get(value) ?? otherIndex);
  });
  return { codes, legend };
}

/**
 * The categories of items that each stand for a point (patch tokens for their image): each item takes its
 * point's code, and the legend counts items.
 */
export function categoriesOfItems(categories: Categories, pointOfItem: Uint32Array): Categories {
  const codes = Uint16Array.from(pointOfItem, (point) => categories.codes[point] as number);
  const counts = new Array<number>(categories.legend.length).fill(0);
  for (const code of codes) counts[code] = (counts[code] ?? 0) + 1;
  return { codes, legend: categories.legend.map((entry, i) => ({ ...entry, count: counts[i] ?? 0 })) };
}
