import type { Tensor } from "~/lib/tensor";

export interface VisualSource {
  name: string;
  visual: Tensor<Float32Array>; // [images, dim]
}

export const CONCAT_ALL = "concat: all";

/**
 * The visual sources of the paper's Figs. 4–5 on one run: every kept source as stored, the raw channel
 * concatenation [V; V'1; …; V'k] of the depth feature and each breadth feature ("concat: all", DBFusion's input
 * before the projector), and that concatenation with one part removed at a time ("concat − V",
 * "concat − <OCR>", …), the ablation. Pooling commutes with concatenation, so pooled parts concatenate exactly.
 */
export function alignmentSources(
  kept: readonly string[],
  pooled: ReadonlyMap<string, Tensor<Float32Array>>,
): VisualSource[] {
  const stored = kept.flatMap((name) => {
    const visual = pooled.get(name);
    return visual === undefined ? [] : [{ name, visual }];
  });
  const parts = stored.filter((s) => s.name === "depth:V" || s.name.startsWith("breadth:"));
  if (!parts.some((p) => p.name === "depth:V") || parts.length < 2) return stored;
  const ablations = parts.map((removed) => ({
    name: `concat − ${partLabel(removed.name)}`,
    visual: concatChannels(parts.filter((p) => p !== removed).map((p) => p.visual)),
  }));
  return [...stored, { name: CONCAT_ALL, visual: concatChannels(parts.map((p) => p.visual)) }, ...ablations];
}

/** "depth:V" → "V", "breadth:<OCR>" → "<OCR>". */
function partLabel(source: string): string {
  return source === "depth:V" ? "V" : source.replace(/^breadth:/, "");
}

/** Row-wise concatenation of matrices with the same rows: [n, d1] ‖ [n, d2] ‖ … → [n, Σd]. */
export function concatChannels(parts: readonly Tensor<Float32Array>[]): Tensor<Float32Array> {
  const n = parts[0]?.dims[0] ?? 0;
  const widths = parts.map((p) => p.dims[1] ?? 0);
  const total = widths.reduce((a, b) => a + b, 0);
  const out = new Float32Array(n * total);
  let column = 0;
  parts.forEach((part, p) => {
    const width = widths[p] as number;
    for (let i = 0; i < n; i++) out.set(part.data.subarray(i * width, (i + 1) * width), i * total + column);
    column += width;
  });
  return { data: out, dims: [n, total] };
}
