/**
 * Pillow's `Image.resize` for 8-bit RGB, reproduced to the byte: Hugging Face's image processors resize through
 * PIL, and one level of difference in a pixel is already 0.017 after CLIP's normalisation, far above the 1e-4
 * parity bar. Pillow (src/libImaging/Resample.c) convolves horizontally, rounds to 8 bits, then vertically, with
 * each output pixel's weights computed in double precision over the filter's support (widened by the scale when
 * shrinking, i.e. antialiased), normalised, and applied as 22-bit fixed-point integers (except that it goes
 * vertically first in one case, see below). NEAREST goes through
 * Pillow's affine transform instead (src/libImaging/Geometry.c), sampling at pixel centres.
 */

/** [height, width, 3] bytes. */
export interface RgbImage {
  data: Uint8Array;
  width: number;
  height: number;
}

interface Filter {
  support: number;
  weight(x: number): number;
}

function sinc(x: number): number {
  if (x === 0) return 1;
  const px = x * Math.PI;
  return Math.sin(px) / px;
}

const HAMMING_A = Math.fround(0.54);
const HAMMING_B = Math.fround(0.46);

// Pillow's resample codes: NEAREST 0, LANCZOS 1, BILINEAR 2, BICUBIC 3, BOX 4, HAMMING 5.
const FILTERS: Partial<Record<number, Filter>> = {
  1: { support: 3, weight: (x) => (x >= -3 && x < 3 ? sinc(x) * sinc(x / 3) : 0) },
  2: { support: 1, weight: (x) => Math.max(0, 1 - Math.abs(x)) },
  3: {
    // Keys' cubic convolution with a = -0.5.
    support: 2,
    weight: (x) => {
      const a = -0.5;
      const t = Math.abs(x);
      if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
      if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
      return 0;
    },
  },
  4: { support: 0.5, weight: (x) => (x > -0.5 && x <= 0.5 ? 1 : 0) },
  5: {
    support: 1,
    weight: (x) => {
      const t = Math.abs(x);
      if (t === 0) return 1;
      if (t >= 1) return 0;
      const px = t * Math.PI;
      // Pillow writes these constants as C floats (0.54f, 0.46f).
      return (Math.sin(px) / px) * (HAMMING_A + HAMMING_B * Math.cos(px));
    },
  },
};

export const PIL_RESAMPLE_CODES = [0, 1, 2, 3, 4, 5] as const;

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

/** Each output index's first input index, tap count and fixed-point weights (Pillow's precompute_coeffs). */
interface Coefficients {
  first: Int32Array;
  count: Int32Array;
  /** [outSize, taps] */
  weights: Float64Array;
  taps: number;
}

function coefficients(inSize: number, outSize: number, filter: Filter): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filter.support * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  const raw = new Float64Array(taps);
  const inverseScale = 1 / filterScale; // Pillow multiplies by the inverse: the last bit can differ from dividing
  for (let out = 0; out < outSize; out++) {
    const center = (out + 0.5) * scale;
    const min = Math.max(0, Math.trunc(center - support + 0.5));
    const n = Math.min(inSize, Math.trunc(center + support + 0.5)) - min;
    let total = 0;
    for (let i = 0; i < n; i++) {
      raw[i] = filter.weight((i + min - center + 0.5) * inverseScale);
      total += raw[i] ?? 0;
    }
    for (let i = 0; i < n; i++) {
      const w = total === 0 ? (raw[i] ?? 0) : (raw[i] ?? 0) / total;
      // Rounded half away from zero, as Pillow's normalize_coeffs_8bpc does.
      weights[out * taps + i] = w < 0 ? Math.trunc(-0.5 + w * ONE) : Math.trunc(0.5 + w * ONE);
    }
    first[out] = min;
    count[out] = n;
  }
  return { first, count, weights, taps };
}

function clip8(sum: number): number {
  return Math.min(255, Math.max(0, Math.floor(sum / ONE)));
}

/** One separable pass along x (`horizontal`) or y, rounding to bytes as Pillow does between passes. */
function convolve(image: RgbImage, outSize: number, filter: Filter, horizontal: boolean): RgbImage {
  const width = horizontal ? outSize : image.width;
  const height = horizontal ? image.height : outSize;
  const { first, count, weights, taps } = coefficients(
    horizontal ? image.width : image.height,
    outSize,
    filter,
  );
  const out = new Uint8Array(width * height * 3);
  const src = image.data;
  const stride = horizontal ? 3 : image.width * 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = horizontal ? x : y;
      const start = first[o] ?? 0;
      const n = count[o] ?? 0;
      const base = horizontal ? (y * image.width + start) * 3 : (start * image.width + x) * 3;
      for (let c = 0; c < 3; c++) {
        let sum = ONE / 2;
        for (let i = 0; i < n; i++) sum += (src[base + i * stride + c] ?? 0) * (weights[o * taps + i] ?? 0);
        out[(y * width + x) * 3 + c] = clip8(sum);
      }
    }
  }
  return { data: out, width, height };
}

/** Pillow's NEAREST resize: the affine transform's source index of each output centre, stepped incrementally. */
function nearestIndices(inSize: number, outSize: number): Int32Array {
  const step = inSize / outSize;
  const indices = new Int32Array(outSize);
  let at = step * 0.5;
  for (let i = 0; i < outSize; i++) {
    indices[i] = Math.min(inSize - 1, Math.max(0, Math.trunc(at)));
    at += step;
  }
  return indices;
}

function resizeNearest(image: RgbImage, width: number, height: number): RgbImage {
  const xs = nearestIndices(image.width, width);
  const ys = nearestIndices(image.height, height);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const row = (ys[y] ?? 0) * image.width;
    for (let x = 0; x < width; x++) {
      const s = (row + (xs[x] ?? 0)) * 3;
      out.set(image.data.subarray(s, s + 3), (y * width + x) * 3);
    }
  }
  return { data: out, width, height };
}

/** `PIL.Image.resize((width, height), resample)` of an RGB image; the same image when the size is unchanged. */
export function resizeLikePil(image: RgbImage, width: number, height: number, resample: number): RgbImage {
  if (width === image.width && height === image.height) return image;
  if (resample === 0) return resizeNearest(image, width, height);
  const filter = FILTERS[resample];
  if (filter === undefined) throw new RangeError(`PIL resample code ${resample} is not one of 0-5`);
  // Pillow 13 runs the vertical pass first when it shrinks rows while the horizontal one widens them (measured
  // against its output: the other order differs by up to 17 levels there, and matches everywhere else).
  const isVerticalFirst = width > image.width && height < image.height;
  const passes: [number, boolean][] = isVerticalFirst
    ? [
        [height, false],
        [width, true],
      ]
    : [
        [width, true],
        [height, false],
      ];
  let out = image;
  for (const [size, horizontal] of passes) {
    if (size !== (horizontal ? out.width : out.height)) out = convolve(out, size, filter, horizontal);
  }
  return out;
}
