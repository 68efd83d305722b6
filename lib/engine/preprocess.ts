import sharp, { type ResizeOptions } from "sharp";
import { decodeRgb, type RgbImage } from "./decode-image";
import { ImageInputError } from "./errors";
import { type HfImageProcessor, preprocessWithHfProcessor } from "./hf-image-processor";

/** What `preprocessor_config.json` says, normalised. */
export interface PreprocessConfig {
  width: number;
  height: number;
  /** PIL resample code (3 = bicubic, 2 = bilinear, 0 = nearest). */
  resample: number;
  rescaleFactor: number;
  doRescale: boolean;
  doNormalize: boolean;
  mean: [number, number, number];
  std: [number, number, number];
}

export interface PreprocessOptions {
  /** Decompression-bomb guard: images with more pixels are refused before decoding. */
  maxInputPixels: number;
  /** Florence-VL's instruction tuning pads to a square with the mean colour before resizing. */
  padToSquare?: boolean;
}

export interface PreprocessedImage {
  /** [3, height, width], channel-first, normalised. */
  pixelValues: Float32Array;
  /** The image's size after EXIF orientation, before resizing: boxes are reported in these pixels. */
  original: { width: number; height: number };
}

// PIL resample codes → libvips kernels. Bicubic in PIL is Keys' cubic with a = -0.5, i.e. Catmull-Rom.
type Kernel = NonNullable<ResizeOptions["kernel"]>;
const KERNEL: Partial<Record<number, Kernel>> = { 0: "nearest", 2: "linear", 3: "cubic", 1: "lanczos3" };

/**
 * Decodes and preprocesses one image as the model's processor does: EXIF orientation, alpha flattened on white,
 * any colour space or bit depth to 8-bit sRGB, optional pad-to-square with the mean colour, direct resize (no
 * crop), rescale and normalise.
 */
export async function preprocessImage(
  input: Uint8Array,
  config: PreprocessConfig | HfImageProcessor,
  options: PreprocessOptions,
): Promise<PreprocessedImage> {
  if (input.byteLength === 0) throw new ImageInputError("empty", "The file is empty (0 bytes).");
  // Comparison encoders (CLIP, SigLIP, DINOv2) preprocess as their Hugging Face image processor does.
  if ("kind" in config) return preprocessWithHfProcessor(input, config, options.maxInputPixels);
  const decoded = await decodeRgb(input, options.maxInputPixels);
  const source = options.padToSquare ? padToSquare(decoded, meanColour(config)) : decoded;
  const resized = await sharp(source.data, {
    raw: { width: source.width, height: source.height, channels: 3 },
  })
    .resize(config.width, config.height, { fit: "fill", kernel: KERNEL[config.resample] ?? "cubic" })
    .raw()
    .toBuffer();
  return {
    pixelValues: normalise(resized, config),
    original: { width: decoded.width, height: decoded.height },
  };
}

function meanColour(config: PreprocessConfig): [number, number, number] {
  return config.mean.map((m) => Math.round(m * 255)) as [number, number, number];
}

function padToSquare(image: RgbImage, colour: [number, number, number]): RgbImage {
  const side = Math.max(image.width, image.height);
  if (image.width === image.height) return image;
  const data = new Uint8Array(side * side * 3);
  for (let i = 0; i < side * side; i++) data.set(colour, i * 3);
  // Centre the image, as Florence-VL's expand2square does.
  const left = Math.floor((side - image.width) / 2);
  const top = Math.floor((side - image.height) / 2);
  const rowBytes = image.width * 3;
  for (let y = 0; y < image.height; y++) {
    data.set(image.data.subarray(y * rowBytes, (y + 1) * rowBytes), ((top + y) * side + left) * 3);
  }
  return { data, width: side, height: side };
}

function normalise(hwc: Uint8Array, config: PreprocessConfig): Float32Array {
  const plane = config.width * config.height;
  const out = new Float32Array(3 * plane); // [3, H, W]
  const scale = config.doRescale ? config.rescaleFactor : 1;
  for (let c = 0; c < 3; c++) {
    const mean = config.doNormalize ? (config.mean[c] ?? 0) : 0;
    const std = config.doNormalize ? (config.std[c] ?? 1) : 1;
    for (let i = 0; i < plane; i++) out[c * plane + i] = ((hwc[i * 3 + c] ?? 0) * scale - mean) / std;
  }
  return out;
}
