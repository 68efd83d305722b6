import { z } from "zod";
import { urlStateCodec } from "~/lib/viz/url-state";

/**
 * The image view's whole state as URL search parameters (reload, bookmark and Back keep the view). Each
 * parameter falls back to its default on its own when absent or malformed; defaults are left out of URLs.
 */

// DINOv2's cut on the min–max scaled first component (lib/analysis/pca-rgb's default).
const DEFAULT_THRESHOLD = 0.5;
// Enough of the photo shows through to place the map, enough map to read it.
const DEFAULT_OPACITY = 0.65;

const schema = z.object({
  /** Shown sources in order; empty = every source the run keeps. */
  sources: z
    .string()
    .transform((text) => text.split(",").filter((s) => s.length > 0))
    .catch([]),
  /** Background cut on the first component; null keeps every patch. */
  threshold: z
    .union([z.literal("none").transform(() => null), z.coerce.number().min(0).max(1)])
    .catch(DEFAULT_THRESHOLD),
  foreground: z.enum(["above", "below"]).catch("above"),
  /** The picked patch: its source and row-major cell; -1 = none. */
  patchSource: z.string().max(200).catch(""),
  patch: z.coerce.number().int().min(-1).catch(-1),
  /** Which attention: "task:<OCR>" (a prompt's maps) or "question:<i>"; empty = the first task. */
  attention: z.string().max(600).catch(""),
  /** The query token: "answer:<i>" or "prompt:<i>"; empty = every answer token averaged. */
  query: z
    .string()
    .regex(/^(answer|prompt):\d+$/)
    .catch(""),
  /** One head, or -1 for the mean over heads. */
  head: z.coerce.number().int().min(-1).catch(-1),
  opacity: z.coerce.number().min(0).max(1).catch(DEFAULT_OPACITY),
  /** The source the similar-images panel searches; empty = the fused features (or the first source). */
  similarSource: z.string().max(200).catch(""),
});

export type ImageViewState = z.infer<typeof schema>;

const PARAM: Record<keyof ImageViewState, string> = {
  sources: "src",
  threshold: "th",
  foreground: "fg",
  patchSource: "ps",
  patch: "pi",
  attention: "att",
  query: "q",
  head: "head",
  opacity: "op",
  similarSource: "sim",
};

export const imageViewStateCodec = urlStateCodec(schema, PARAM);
