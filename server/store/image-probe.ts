import sharp, { type Metadata } from "sharp";

/** Longest side of a thumbnail; the dataset grid shows them at 128 CSS px, so 256 stays sharp on 2× screens. */
export const THUMBNAIL_SIZE = 256;
// WebP at this quality keeps a 256-px thumbnail around 5–15 kB with no visible blocking on synthetic scenes.
const THUMBNAIL_QUALITY = 80;

/** What importing learned about one file: its size and format, or why it is not a readable image. */
export type ImageProbe =
  | { ok: true; width: number; height: number; format: string; thumbnail: Buffer }
  | { ok: false; problem: string; width: number | null; height: number | null; format: string | null };

// Formats people upload that this build of sharp does not read, recognised by their first bytes, so the message
// can say what the file is rather than "not an image".
const KNOWN_UNSUPPORTED: { name: string; magic: number[] }[] = [
  { name: "BMP", magic: [0x42, 0x4d] },
  { name: "ICO", magic: [0x00, 0x00, 0x01, 0x00] },
  { name: "Photoshop (PSD)", magic: [0x38, 0x42, 0x50, 0x53] },
  { name: "PDF", magic: [0x25, 0x50, 0x44, 0x46] },
];

/**
 * Reads a file's header (size, format) with sharp and decodes it once while making its thumbnail, which is the
 * check that the pixel data is intact. Never throws for bad input: the reason becomes `problem`. The pixel limit
 * is checked from the header before anything is decoded (decompression-bomb guard).
 */
export async function probeImage(bytes: Uint8Array, maxInputPixels: number): Promise<ImageProbe> {
  if (bytes.byteLength === 0) {
    return { ok: false, problem: "The file is empty (0 bytes).", width: null, height: null, format: null };
  }
  const options = { limitInputPixels: maxInputPixels, failOn: "error" } as const;
  let metadata: Metadata;
  try {
    // Header only (nothing decoded), so the pixel limit is checked below with the size in hand for the message.
    metadata = await sharp(bytes, { ...options, limitInputPixels: false }).metadata();
  } catch (error) {
    return { ok: false, problem: describeUnreadable(bytes, error), width: null, height: null, format: null };
  }
  const format = metadata.format ?? null;
  const { width, height } = orientedSize(metadata);
  if (width === null || height === null || format === null) {
    return { ok: false, problem: "The file has no image size in its header.", width, height, format };
  }
  if (width * height > maxInputPixels) {
    return {
      ok: false,
      problem:
        `The image is ${width}×${height} pixels, more than the limit of ${maxInputPixels.toLocaleString("en")} ` +
        "(MAX_IMAGE_PIXELS); it was not decoded, as it may be a decompression bomb. Downscale it first.",
      width,
      height,
      format,
    };
  }
  try {
    const thumbnail = await sharp(bytes, options)
      .rotate()
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: "inside", withoutEnlargement: true })
      .webp({ quality: THUMBNAIL_QUALITY })
      .toBuffer();
    return { ok: true, width, height, format, thumbnail };
  } catch (error) {
    return {
      ok: false,
      problem: `The ${format.toUpperCase()} file is corrupt or truncated and could not be decoded (${messageOf(error)}).`,
      width,
      height,
      format,
    };
  }
}

/** Width and height as displayed, i.e. after the EXIF orientation, as the engine sees them. */
function orientedSize(metadata: Metadata): { width: number | null; height: number | null } {
  const size = metadata.autoOrient ?? metadata;
  return { width: size.width ?? null, height: size.height ?? null };
}

function describeUnreadable(bytes: Uint8Array, error: unknown): string {
  const message = messageOf(error);
  if (/unsupported image format/i.test(message)) {
    const known = KNOWN_UNSUPPORTED.find(({ magic }) => magic.every((byte, i) => bytes[i] === byte));
    if (known) return `${known.name} files are not supported; convert it to PNG or JPEG.`;
    return "Not an image: the file is in no format this tool reads (JPEG, PNG, WebP, GIF, TIFF, AVIF or SVG).";
  }
  if (/corrupt header/i.test(message)) {
    return `The file's header is corrupt, so it could not be read as an image (${message}).`;
  }
  return `The file could not be read as an image (${message}).`;
}

// libvips messages can run to several lines of parser detail; the first line, kept short, says enough.
const MAX_DETAIL_LENGTH = 160;

function messageOf(error: unknown): string {
  const message = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
  return message.length > MAX_DETAIL_LENGTH ? `${message.slice(0, MAX_DETAIL_LENGTH - 1)}…` : message;
}
