import sharp from "sharp";
import { describe, expect, it } from "vitest";
import { ImageInputError } from "~/lib/engine/errors";
import { type PreprocessConfig, preprocessImage } from "~/lib/engine/preprocess";
import { pngHeaderOnly } from "../../helpers/png-bytes";

const config: PreprocessConfig = {
  width: 16,
  height: 16,
  resample: 3,
  rescaleFactor: 1 / 255,
  doRescale: true,
  doNormalize: true,
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};
const options = { maxInputPixels: 10_000_000 };

/** The normalised value the processor gives an 8-bit channel value. */
const norm = (value: number, c: 0 | 1 | 2) => (value / 255 - config.mean[c]) / config.std[c];

function solid(width: number, height: number, rgb: [number, number, number], channels: 3 | 4 = 3, alpha = 1) {
  const background =
    channels === 4 ? { r: rgb[0], g: rgb[1], b: rgb[2], alpha } : { r: rgb[0], g: rgb[1], b: rgb[2] };
  return sharp({ create: { width, height, channels, background } });
}

async function expectImageError(promise: Promise<unknown>, problem: string) {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageInputError);
  expect((error as ImageInputError).problem).toBe(problem);
}

describe("preprocessImage", () => {
  it("keeps an image already at the model size exactly, channel-first and normalised", async () => {
    const raw = new Uint8Array(16 * 16 * 3).map((_, i) => (i * 37) % 256);
    const png = await sharp(raw, { raw: { width: 16, height: 16, channels: 3 } })
      .png()
      .toBuffer();
    const { pixelValues, original } = await preprocessImage(png, config, options);
    expect(original).toEqual({ width: 16, height: 16 });
    expect(pixelValues.length).toBe(3 * 16 * 16);
    for (const [y, x, c] of [
      [0, 0, 0],
      [5, 7, 1],
      [15, 15, 2],
    ] as const) {
      expect(pixelValues[c * 256 + y * 16 + x]).toBeCloseTo(norm(raw[(y * 16 + x) * 3 + c] ?? 0, c), 5);
    }
  });

  it("resizes directly to the model size (no crop) and reports the original size", async () => {
    const png = await solid(64, 32, [200, 100, 50]).png().toBuffer();
    const { pixelValues, original } = await preprocessImage(png, config, options);
    expect(original).toEqual({ width: 64, height: 32 });
    expect(pixelValues[0]).toBeCloseTo(norm(200, 0), 4);
    expect(pixelValues[2 * 256 + 255]).toBeCloseTo(norm(50, 2), 4);
  });

  it("applies the EXIF orientation before anything else", async () => {
    const jpeg = await solid(40, 20, [10, 200, 10]).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const { original } = await preprocessImage(jpeg, config, options);
    expect(original).toEqual({ width: 20, height: 40 });
  });

  it("flattens transparency onto white", async () => {
    const png = await solid(16, 16, [0, 0, 0], 4, 0).png().toBuffer();
    const { pixelValues } = await preprocessImage(png, config, options);
    expect(pixelValues[0]).toBeCloseTo(norm(255, 0), 4);
  });

  it("turns greyscale, 16-bit and CMYK images into 8-bit RGB", async () => {
    const grey = await solid(16, 16, [90, 90, 90]).toColourspace("b-w").png().toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const fromGrey = await preprocessImage(grey, config, options);
    expect(fromGrey.pixelValues[256]).toBeCloseTo(norm(90, 1), 4);

    const sixteen = await solid(16, 16, [128, 64, 32]).toColourspace("rgb16").png().toBuffer();
    expect((await sharp(sixteen).metadata()).depth).toBe("ushort");
    const from16 = await preprocessImage(sixteen, config, options);
    expect(from16.pixelValues[0]).toBeCloseTo(norm(128, 0), 1);

    const cmyk = await solid(16, 16, [200, 30, 30]).toColourspace("cmyk").jpeg({ quality: 100 }).toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe("cmyk");
    const fromCmyk = await preprocessImage(cmyk, config, options);
    // Colour management round trip: within a few 8-bit levels.
    expect(Math.abs((fromCmyk.pixelValues[0] ?? 0) - norm(200, 0))).toBeLessThan(0.15);
  });

  it("pads to a square with the mean colour when asked", async () => {
    const png = await solid(32, 8, [255, 255, 255]).png().toBuffer();
    const { pixelValues } = await preprocessImage(png, config, { ...options, padToSquare: true });
    // Top-left corner lies in the padding: the mean colour normalises to ~0.
    expect(Math.abs(pixelValues[0] ?? 1)).toBeLessThan(0.03);
    expect(pixelValues[8 * 16 + 8]).toBeCloseTo(norm(255, 0), 2);
  });

  it("refuses empty, non-image, truncated and oversized inputs with typed errors", async () => {
    await expectImageError(preprocessImage(new Uint8Array(0), config, options), "empty");
    await expectImageError(
      preprocessImage(new TextEncoder().encode("hello, not an image"), config, options),
      "unsupported-format",
    );
    const png = await solid(64, 64, [1, 2, 3]).png({ compressionLevel: 0 }).toBuffer();
    await expectImageError(preprocessImage(png.subarray(0, png.length / 2), config, options), "corrupt");
    await expectImageError(preprocessImage(png, config, { maxInputPixels: 1000 }), "too-many-pixels");
  });

  it("rejects a decompression bomb from its header, before decoding", async () => {
    const bomb = pngHeaderOnly(100_000, 100_000);
    await expectImageError(preprocessImage(bomb, config, { maxInputPixels: 50_000_000 }), "too-many-pixels");
  });
});
