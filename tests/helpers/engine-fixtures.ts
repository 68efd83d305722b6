import fs from "node:fs/promises";
import path from "node:path";

/** The PyTorch reference fixtures written by tools/florence-vl-mini (export.py, parity_fixtures). */
export interface ArrayRef {
  file: string;
  dtype: "float32" | "int64" | "bool";
  dims: number[];
}
export interface Summary {
  dims: number[];
  mean: number;
  std: number;
  min: number;
  max: number;
  l2: number;
  first: number[];
}
export interface FixtureImage {
  image: string;
  truth: { caption: string; ocr: string; regions: [string, number[]][] };
  sources: Record<string, Summary>;
  tasks: Record<
    string,
    {
      prompt: string;
      token_ids: number[];
      text: string;
      encoder_attention_grid: number[][];
      cross_attention_grid: number[][];
      boxes?: { label: string; box: number[] }[];
    }
  >;
  qa: {
    kind: string;
    question: string;
    answer: string;
    token_ids: number[];
    last_hidden_state_last_token: Summary;
    answer_attention_grid: number[][];
  }[];
  arrays?: Record<string, ArrayRef>;
}

export async function readFixtures(dir: string): Promise<FixtureImage[]> {
  const json = JSON.parse(await fs.readFile(path.join(dir, "fixtures.json"), "utf8")) as {
    images: FixtureImage[];
  };
  return json.images;
}

export async function readArray(dir: string, ref: ArrayRef): Promise<Float32Array> {
  const bytes = await fs.readFile(path.join(dir, "arrays", ref.file));
  if (ref.dtype !== "float32") throw new Error(`expected float32, got ${ref.dtype}`);
  return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return max;
}

/** The same statistics export.py writes for a tensor. */
export function summarize(values: Float32Array): Omit<Summary, "dims"> {
  let sum = 0;
  let sumSquares = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    sum += v;
    sumSquares += v * v;
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  const mean = sum / values.length;
  let variance = 0;
  for (const v of values) variance += (v - mean) ** 2;
  return {
    mean,
    std: Math.sqrt(variance / values.length),
    min,
    max,
    l2: Math.sqrt(sumSquares),
    first: [...values.slice(0, 8)],
  };
}
