import { describe, expect, it } from "vitest";
import { ModelFolderError } from "~/lib/engine/errors";
import { parseHfImageProcessor, processRgbImage } from "~/lib/engine/hf-image-processor";
import type { RgbImage } from "~/lib/engine/pil-resize";

function parseError(raw: Record<string, unknown>, family = "clip"): ModelFolderError {
  const error = (() => {
    try {
      parseHfImageProcessor(raw, family);
      return undefined;
    } catch (e) {
      return e;
    }
  })();
  expect(error).toBeInstanceOf(ModelFolderError);
  expect((error as ModelFolderError).file).toBe("preprocessor_config.json");
  return error as ModelFolderError;
}

/** An image of one colour, [height, width, 3]. */
function solid(width: number, height: number, rgb: [number, number, number]): RgbImage {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) data.set(rgb, i * 3);
  return { data, width, height };
}

describe("parseHfImageProcessor", () => {
  it("reads openai CLIP's feature-extractor config: integer size is the shortest edge, crop a square", () => {
    const processor = parseHfImageProcessor(
      { feature_extractor_type: "CLIPFeatureExtractor", size: 224, crop_size: 224, do_center_crop: true },
      "clip",
    );
    expect(processor).toMatchObject({
      processorClass: "CLIPImageProcessor",
      resize: { shortestEdge: 224 },
      crop: { height: 224, width: 224 },
      resample: 3,
      rescaleFactor: 1 / 255,
      normalize: { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] },
      height: 224,
      width: 224,
    });
  });

  it("fills what a config leaves out from its class: SigLIP resizes to a fixed size, no crop", () => {
    const processor = parseHfImageProcessor({ image_processor_type: "SiglipImageProcessorFast" }, "siglip");
    expect(processor).toMatchObject({
      processorClass: "SiglipImageProcessor",
      resize: { height: 224, width: 224 },
      crop: null,
      normalize: { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] },
    });
    // DINOv2's folders carry no processor type of their own: BitImageProcessor, shortest edge then crop.
    expect(parseHfImageProcessor({ size: { shortest_edge: 256 } }, "dinov2")).toMatchObject({
      processorClass: "BitImageProcessor",
      resize: { shortestEdge: 256 },
      crop: { height: 224, width: 224 },
    });
  });

  it("refuses what it cannot reproduce, naming the file", () => {
    expect(parseError({ image_processor_type: "ViTImageProcessor" }).message).toMatch(
      /got ViTImageProcessor/,
    );
    expect(parseError({ size: { shortest_edge: 224, longest_edge: 448 } }).message).toMatch(/size as/);
    expect(parseError({ resample: 7 }).message).toMatch(/PIL code 0-5/);
    expect(parseError({ size: { shortest_edge: 224 }, do_center_crop: false }).message).toMatch(
      /a fixed output size/,
    );
    expect(parseError({ image_mean: [0.5, 0.5] }).message).toMatch(/image_mean of 3 numbers/);
  });
});

describe("processRgbImage", () => {
  it("rescales and normalises in float32 as transformers does", () => {
    const processor = parseHfImageProcessor({ size: { height: 4, width: 4 } }, "siglip");
    const pixels = processRgbImage(solid(4, 4, [0, 128, 255]), processor);
    expect(pixels).toHaveLength(3 * 16);
    const f = Math.fround;
    const expected = [0, 128, 255].map((v) => f(f(f(v * (1 / 255)) - f(0.5)) / f(0.5)));
    for (const c of [0, 1, 2]) expect(pixels[c * 16 + 5]).toBe(expected[c]);
  });

  it("pads with zeros (before normalising) when the crop is larger than the image", () => {
    const processor = parseHfImageProcessor(
      { do_resize: false, do_center_crop: true, crop_size: { height: 4, width: 6 } },
      "clip",
    );
    // A 2×2 image in a 6×4 crop: offsets floor((2 - 6) / 2) = -2 and floor((2 - 4) / 2) = -1.
    const pixels = processRgbImage(solid(2, 2, [255, 255, 255]), processor);
    const red = (y: number, x: number) => pixels[y * 6 + x];
    const white = Math.fround(Math.fround(1 - Math.fround(0.48145466)) / Math.fround(0.26862954));
    const black = Math.fround(Math.fround(0 - Math.fround(0.48145466)) / Math.fround(0.26862954));
    expect([red(1, 2), red(1, 3), red(2, 2), red(2, 3)]).toEqual([white, white, white, white]);
    expect([red(0, 0), red(1, 1), red(1, 4), red(3, 5)]).toEqual([black, black, black, black]);
  });
});
