import sharp from "sharp";
import { ImageInputError } from "./errors";
import type { RgbImage } from "./pil-resize";

export type { RgbImage } from "./pil-resize";

// White, like flattening a transparent image onto a page (transformers' convert_to_rgb does the same).
const ALPHA_BACKGROUND = { r: 255, g: 255, b: 255 };

/**
 * Decodes any image sharp reads to 8-bit sRGB bytes: EXIF orientation applied, alpha flattened on white, any
 * colour space or bit depth converted. Shared by the Florence-2 preprocessing and the Hugging Face image processors.
 */
export async function decodeRgb(input: Uint8Array, maxInputPixels: number): Promise<RgbImage> {
  try {
    const { data, info } = await sharp(input, { limitInputPixels: maxInputPixels, failOn: "error" })
      .rotate()
      .flatten({ background: ALPHA_BACKGROUND })
      .toColourspace("srgb")
      .removeAlpha()
      .raw({ depth: "uchar" })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  } catch (error) {
    throw toImageInputError(error, maxInputPixels);
  }
}

function toImageInputError(error: unknown, maxInputPixels: number): ImageInputError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) {
    return new ImageInputError(
      "too-many-pixels",
      `The image has more than ${maxInputPixels.toLocaleString("en")} pixels; refusing to decode it (a possible decompression bomb). Downscale it first.`,
    );
  }
  if (/unsupported image format/i.test(message)) {
    return new ImageInputError(
      "unsupported-format",
      "Not an image format this tool reads (use JPEG, PNG, WebP, GIF, TIFF or AVIF).",
    );
  }
  return new ImageInputError("corrupt", `The image could not be decoded: ${message}`);
}
