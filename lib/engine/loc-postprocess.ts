/**
 * Florence-2 post-processing of generated text with `<loc_N>` tokens: 1000 bins per axis, dequantised to the
 * bin centre in the original image's pixels, `coord = (bin + 0.5) / 1000 * size`, as Florence-2's processor does.
 */

export const LOC_BINS = 1000;

export interface LabelledBox {
  label: string;
  /** [x1, y1, x2, y2] in image pixels. */
  box: [number, number, number, number];
}

export interface LabelledQuad {
  label: string;
  /** [x1, y1, ..., x4, y4] in image pixels, clockwise from top-left as the model emits them. */
  quad: [number, number, number, number, number, number, number, number];
}

const LOC_TOKEN = /<loc_(\d+)>/g;
// A label (any text without `<`) followed by its run of loc tokens.
const LABEL_WITH_LOCS = /([^<]*)((?:<loc_\d+>)+)/g;

export function dequantize(bin: number, size: number): number {
  return ((bin + 0.5) / LOC_BINS) * size;
}

/** Splits text into labels with their coordinate runs; an empty label repeats the previous one. */
function labelledLocRuns(text: string): { label: string; bins: number[] }[] {
  const runs: { label: string; bins: number[] }[] = [];
  let previous = "";
  for (const match of text.matchAll(LABEL_WITH_LOCS)) {
    const label = (match[1] ?? "").trim();
    const bins = [...(match[2] ?? "").matchAll(LOC_TOKEN)].map((loc) => Number(loc[1]));
    const effective = label.length > 0 ? label : previous;
    runs.push({ label: effective, bins });
    previous = effective;
  }
  return runs;
}

/** Boxes: each label's locs taken four at a time (x1, y1, x2, y2); a trailing incomplete group is dropped. */
export function parseBoxes(text: string, width: number, height: number): LabelledBox[] {
  const boxes: LabelledBox[] = [];
  for (const run of labelledLocRuns(text)) {
    for (let i = 0; i + 4 <= run.bins.length; i += 4) {
      const [x1, y1, x2, y2] = run.bins.slice(i, i + 4) as [number, number, number, number];
      boxes.push({
        label: run.label,
        box: [dequantize(x1, width), dequantize(y1, height), dequantize(x2, width), dequantize(y2, height)],
      });
    }
  }
  return boxes;
}

/** Quadrilaterals (OCR with regions): each label's locs taken eight at a time. */
export function parseQuads(text: string, width: number, height: number): LabelledQuad[] {
  const quads: LabelledQuad[] = [];
  for (const run of labelledLocRuns(text)) {
    for (let i = 0; i + 8 <= run.bins.length; i += 8) {
      const bins = run.bins.slice(i, i + 8);
      const quad = bins.map((bin, k) =>
        dequantize(bin, k % 2 === 0 ? width : height),
      ) as LabelledQuad["quad"];
      quads.push({ label: run.label, quad });
    }
  }
  return quads;
}

/** The text without loc tokens, for showing region answers as prose. */
export function stripLocTokens(text: string): string {
  return text.replace(LOC_TOKEN, " ").replace(/\s+/g, " ").trim();
}
