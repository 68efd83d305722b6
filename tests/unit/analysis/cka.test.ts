import { describe, expect, it } from "vitest";
import { AnalysisInputError, createPrng, linearCka } from "~/lib/analysis";
import type { Tensor } from "~/lib/tensor";

function randomMatrix(rows: number, cols: number, seed: number): Tensor<Float64Array> {
  const prng = createPrng(seed);
  return { data: new Float64Array(rows * cols).map(() => prng.nextGaussian()), dims: [rows, cols] };
}

describe("linearCka", () => {
  it("is invariant to orthogonal transforms, isotropic scaling and offsets", () => {
    const x = randomMatrix(30, 4, 1);
    const y = randomMatrix(30, 3, 2);
    const angle = 0.7;
    const rotated = new Float64Array(30 * 4);
    for (let i = 0; i < 30; i++) {
      const [a, b, c, d] = x.data.subarray(i * 4, i * 4 + 4) as unknown as [number, number, number, number];
      rotated.set(
        [
          3 * (a * Math.cos(angle) - b * Math.sin(angle)) + 5,
          3 * (a * Math.sin(angle) + b * Math.cos(angle)),
          3 * c,
          3 * d - 1,
        ],
        i * 4,
      );
    }
    expect(linearCka({ data: rotated, dims: [30, 4] }, y)).toBeCloseTo(linearCka(x, y), 12);
  });

  it("matches the feature-space formula on tall data and on wide data (where it uses Gram matrices)", () => {
    for (const [rows, cols] of [
      [80, 5],
      [10, 40],
    ] as const) {
      const x = randomMatrix(rows, cols, 3);
      const y = randomMatrix(rows, cols + 2, 4);
      expect(linearCka(x, y)).toBeCloseTo(naiveCka(x, y), 12);
    }
  });

  it("rejects mismatched samples and constant features", () => {
    expect(() => linearCka(randomMatrix(5, 2, 1), randomMatrix(6, 2, 1))).toThrow(AnalysisInputError);
    expect(() =>
      linearCka({ data: new Float64Array(10).fill(2), dims: [5, 2] }, randomMatrix(5, 2, 1)),
    ).toThrow(/constant/);
  });
});

/** ‖YᵀX‖²_F / (‖XᵀX‖_F ‖YᵀY‖_F) on centred columns, entry by entry. */
function naiveCka(x: Tensor<Float64Array>, y: Tensor<Float64Array>): number {
  const centred = (t: Tensor<Float64Array>) => {
    const [n, d] = t.dims as [number, number];
    const out = Float64Array.from(t.data);
    for (let j = 0; j < d; j++) {
      let mean = 0;
      for (let i = 0; i < n; i++) mean += (out[i * d + j] as number) / n;
      for (let i = 0; i < n; i++) out[i * d + j] = (out[i * d + j] as number) - mean;
    }
    return { data: out, n, d };
  };
  const frobeniusOfProduct = (a: ReturnType<typeof centred>, b: ReturnType<typeof centred>) => {
    let sum = 0;
    for (let p = 0; p < a.d; p++) {
      for (let q = 0; q < b.d; q++) {
        let entry = 0;
        for (let i = 0; i < a.n; i++)
          entry += (a.data[i * a.d + p] as number) * (b.data[i * b.d + q] as number);
        sum += entry * entry;
      }
    }
    return sum;
  };
  const xc = centred(x);
  const yc = centred(y);
  return frobeniusOfProduct(xc, yc) / Math.sqrt(frobeniusOfProduct(xc, xc) * frobeniusOfProduct(yc, yc));
}
