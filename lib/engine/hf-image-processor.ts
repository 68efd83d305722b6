/**
 * The Hugging Face image processors of the comparison encoders, as transformers runs them (its PIL backend):
 * CLIPImageProcessor (CLIP), SiglipImageProcessor (SigLIP) and BitImageProcessor (DINOv2). Each reads
 * preprocessor_config.json over its class defaults, then per image: convert to RGB, resize (to the shortest edge,
 * keeping the aspect ratio, or to a fixed size) with PIL's filter, center crop (zero padding when the image is
 * smaller), rescale (float64 product cast to float32) and normalise (float32 arithmetic).
 */
import { decodeRgb } from "./decode-image";
import { ModelFolderError } from "./errors";
import { PIL_RESAMPLE_CODES, type RgbImage, resizeLikePil } from "./pil-resize";
import type { PreprocessedImage } from "./preprocess";

type Triple = [number, number, number];
interface Size {
  height: number;
  width: number;
}
type ResizeTarget = { shortestEdge: number } | Size;

export type HfProcessorClass = "CLIPImageProcessor" | "SiglipImageProcessor" | "BitImageProcessor";

/** A comparison encoder's image processor, normalised from preprocessor_config.json. */
export interface HfImageProcessor {
  kind: "hf-image-processor";
  processorClass: HfProcessorClass;
  /** null when do_resize is false. */
  resize: ResizeTarget | null;
  /** PIL resample code. */
  resample: number;
  /** null when do_center_crop is false. */
  crop: Size | null;
  /** null when do_rescale is false. */
  rescaleFactor: number | null;
  /** null when do_normalize is false. */
  normalize: { mean: Triple; std: Triple } | null;
  /** pixel_values' [height, width]: the crop, else the fixed resize (the ONNX graph's input is fixed to it). */
  height: number;
  width: number;
}

const OPENAI_CLIP = { mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] };
const IMAGENET_STANDARD = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] };

/** transformers' class attributes (image_processing_pil_clip.py, _siglip.py, _bit.py): what a config leaves out. */
const CLASS_DEFAULTS: Record<
  HfProcessorClass,
  { size: ResizeTarget; crop: Size | null; doCenterCrop: boolean; mean: number[]; std: number[] }
> = {
  CLIPImageProcessor: {
    size: { shortestEdge: 224 },
    crop: { height: 224, width: 224 },
    doCenterCrop: true,
    ...OPENAI_CLIP,
  },
  SiglipImageProcessor: {
    size: { height: 224, width: 224 },
    crop: null,
    doCenterCrop: false,
    ...IMAGENET_STANDARD,
  },
  BitImageProcessor: {
    size: { shortestEdge: 224 },
    crop: { height: 224, width: 224 },
    doCenterCrop: true,
    ...OPENAI_CLIP,
  },
};
const FAMILY_PROCESSOR: Record<string, HfProcessorClass> = {
  clip: "CLIPImageProcessor",
  siglip: "SiglipImageProcessor",
  dinov2: "BitImageProcessor",
};

const FILE = "preprocessor_config.json";

function badConfig(expected: string, detail?: string): ModelFolderError {
  return new ModelFolderError("bad-json", FILE, expected, detail);
}

/** image_processor_type (its Fast / Pil variants too), else the old feature_extractor_type, else the family's. */
function processorClass(raw: Record<string, unknown>, family: string): HfProcessorClass {
  const named =
    typeof raw.image_processor_type === "string"
      ? raw.image_processor_type.replace(/(Fast|Pil)$/, "")
      : typeof raw.feature_extractor_type === "string"
        ? raw.feature_extractor_type.replace(/FeatureExtractor$/, "ImageProcessor")
        : FAMILY_PROCESSOR[family];
  if (named !== undefined && named in CLASS_DEFAULTS) return named as HfProcessorClass;
  throw badConfig(
    "image_processor_type CLIPImageProcessor, SiglipImageProcessor or BitImageProcessor",
    `got ${String(named)}`,
  );
}

const isPositiveInt = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v > 0;

/** transformers' get_size_dict: an int is the shortest edge (size, default_to_square false) or a square (crop). */
function parseSize(value: unknown, what: string, isSquareDefault: boolean): ResizeTarget {
  if (isPositiveInt(value))
    return isSquareDefault ? { height: value, width: value } : { shortestEdge: value };
  if (typeof value === "object" && value !== null) {
    const v = value as Record<string, unknown>;
    if (isPositiveInt(v.height) && isPositiveInt(v.width) && v.shortest_edge === undefined)
      return { height: v.height, width: v.width };
    if (isPositiveInt(v.shortest_edge) && v.longest_edge === undefined)
      return { shortestEdge: v.shortest_edge };
  }
  throw badConfig(
    `${what} as {height, width}, {shortest_edge} or an integer`,
    `got ${JSON.stringify(value)}`,
  );
}

function parseTriple(value: unknown, fallback: number[], what: string): Triple {
  const v = value ?? fallback;
  if (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number")) return v as Triple;
  if (typeof v === "number") return [v, v, v];
  throw badConfig(`${what} of 3 numbers`, `got ${JSON.stringify(value)}`);
}

/** preprocessor_config.json over the processor class's defaults; typed errors for what cannot be reproduced. */
export function parseHfImageProcessor(raw: Record<string, unknown>, family: string): HfImageProcessor {
  const processor = processorClass(raw, family);
  const defaults = CLASS_DEFAULTS[processor];
  const resize =
    raw.do_resize === false
      ? null
      : raw.size === undefined
        ? defaults.size
        : parseSize(raw.size, "size", false);
  const doCenterCrop = typeof raw.do_center_crop === "boolean" ? raw.do_center_crop : defaults.doCenterCrop;
  const cropTarget =
    raw.crop_size === undefined ? defaults.crop : parseSize(raw.crop_size, "crop_size", true);
  if (doCenterCrop && (cropTarget === null || "shortestEdge" in cropTarget))
    throw badConfig("crop_size {height, width} with do_center_crop");
  const crop = doCenterCrop ? (cropTarget as Size) : null;
  const output = crop ?? (resize !== null && "height" in resize ? resize : null);
  if (output === null)
    throw badConfig(
      "a fixed output size: size {height, width}, or do_center_crop with crop_size",
      "the pixel size would follow each image's aspect ratio",
    );
  const resample = raw.resample ?? 3;
  if (!PIL_RESAMPLE_CODES.some((code) => code === resample))
    throw badConfig("resample as a PIL code 0-5", `got ${JSON.stringify(raw.resample)}`);
  const rescale = raw.rescale_factor ?? 1 / 255;
  if (typeof rescale !== "number") throw badConfig("rescale_factor as a number");
  return {
    kind: "hf-image-processor",
    processorClass: processor,
    resize,
    resample: resample as number,
    crop,
    rescaleFactor: raw.do_rescale === false ? null : rescale,
    normalize:
      raw.do_normalize === false
        ? null
        : {
            mean: parseTriple(raw.image_mean, defaults.mean, "image_mean"),
            std: parseTriple(raw.image_std, defaults.std, "image_std"),
          },
    height: output.height,
    width: output.width,
  };
}

/** get_resize_output_image_size: the short side to `edge`, the long one scaled and truncated. */
function resizeSize(image: RgbImage, target: ResizeTarget): Size {
  if (!("shortestEdge" in target)) return target;
  const edge = target.shortestEdge;
  const isPortrait = image.width <= image.height;
  const [short, long] = isPortrait ? [image.width, image.height] : [image.height, image.width];
  const scaled = Math.trunc((edge * long) / short);
  return isPortrait ? { height: scaled, width: edge } : { height: edge, width: scaled };
}

/** The processor's pixel values of decoded RGB bytes: [3, height, width] float32. */
export function processRgbImage(image: RgbImage, processor: HfImageProcessor): Float32Array {
  let resized = image;
  if (processor.resize !== null) {
    const { height, width } = resizeSize(image, processor.resize);
    resized = resizeLikePil(image, width, height, processor.resample);
  }
  const { height, width } = processor;
  // center_crop: offset floor((in - out) / 2); outside the image (when it is smaller) the bytes are 0.
  const top = processor.crop === null ? 0 : Math.floor((resized.height - height) / 2);
  const left = processor.crop === null ? 0 : Math.floor((resized.width - width) / 2);
  const plane = height * width;
  const out = new Float32Array(3 * plane);
  const mean = processor.normalize?.mean.map(Math.fround);
  const std = processor.normalize?.std.map(Math.fround);
  for (let c = 0; c < 3; c++) {
    const m = mean?.[c] ?? 0;
    const s = std?.[c] ?? 1;
    for (let y = 0; y < height; y++) {
      const sy = y + top;
      for (let x = 0; x < width; x++) {
        const sx = x + left;
        const isInside = sy >= 0 && sy < resized.height && sx >= 0 && sx < resized.width;
        const byte = isInside ? (resized.data[(sy * resized.width + sx) * 3 + c] ?? 0) : 0;
        let value = processor.rescaleFactor === null ? byte : Math.fround(byte * processor.rescaleFactor);
        if (processor.normalize !== null) value = Math.fround(Math.fround(value - m) / s);
        out[c * plane + y * width + x] = value;
      }
    }
  }
  return out;
}

/** Decodes one image file and runs the processor on it (decoding errors are ImageInputErrors). */
export async function preprocessWithHfProcessor(
  input: Uint8Array,
  processor: HfImageProcessor,
  maxInputPixels: number,
): Promise<PreprocessedImage> {
  const decoded = await decodeRgb(input, maxInputPixels);
  return {
    pixelValues: processRgbImage(decoded, processor),
    original: { width: decoded.width, height: decoded.height },
  };
}
