import { z } from "zod";
import { urlStateCodec } from "./url-state";

/**
 * The projection explorer's whole view as URL search parameters, so a reload, a bookmark or a share link shows
 * the same thing. Each parameter is parsed on its own and falls back to its default when absent or malformed,
 * so a hand-edited URL degrades to a sensible view instead of an error. Defaults are left out of URLs.
 */

// umap-js' and the server's defaults: 15 neighbours balance local and global structure at a few hundred points.
const DEFAULT_N_NEIGHBORS = 15;
const DEFAULT_MIN_DIST = 0.1;
const DEFAULT_SEED = 0;
// `encodeIndexRanges` text: base-36 runs, or "~" and a base64url bitset.
const INDEX_SET = /^([0-9a-z.-]*|~[A-Za-z0-9_-]*)$/;

export const COLOUR_BY = /^(none|status|cluster:\d{1,2}|label:.{1,100}|word:.{1,100}|answer:.{1,200})$/s;

const schema = z.object({
  method: z.enum(["umap", "pca"]).catch("umap"),
  nNeighbors: z.coerce.number().int().min(2).max(200).catch(DEFAULT_N_NEIGHBORS),
  minDist: z.coerce.number().min(0).max(1).catch(DEFAULT_MIN_DIST),
  seed: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .catch(DEFAULT_SEED),
  /** Shown sources in order; empty = every source of the run. */
  sources: z
    .string()
    .transform((text) => text.split(",").filter((s) => s.length > 0))
    .catch([]),
  /** The panel the others are aligned to; empty = the server's choice. */
  reference: z.string().max(200).catch(""),
  /** Empty = the default colouring (`defaultColourBy`: the first label when the dataset has labels). */
  colourBy: z.string().regex(COLOUR_BY).catch(""),
  /** Selected points as `encodeIndexRanges` of indices into the run's point list (ranges, or a "~" bitset). */
  selection: z.string().regex(INDEX_SET).catch(""),
  /** "patches": every patch token of the selected images is a point (one source, `patchSource`). */
  mode: z.enum(["images", "patches"]).catch("images"),
  patchSource: z.string().max(200).catch(""),
  /** Selected patch points, as `encodeIndexRanges` of rows of the patch layout. */
  patchSelection: z.string().regex(INDEX_SET).catch(""),
  /** The image open in the viewer, by id; empty = none. */
  image: z.string().max(100).catch(""),
  /** Another run of the same dataset whose panels are shown beside this run's; empty = none. */
  compareRun: z.string().max(100).catch(""),
  /** That run's shown sources in order; empty = none of them. */
  compareSources: z
    .string()
    .transform((text) => text.split(",").filter((s) => s.length > 0))
    .catch([]),
});

export type ViewState = z.infer<typeof schema>;

// URL parameter name of each field: short, because selections and shared URLs get long.
const PARAM: Record<keyof ViewState, string> = {
  method: "m",
  nNeighbors: "nn",
  minDist: "md",
  seed: "seed",
  sources: "src",
  reference: "ref",
  colourBy: "c",
  selection: "sel",
  mode: "mode",
  patchSource: "ps",
  patchSelection: "psel",
  image: "img",
  compareRun: "cr",
  compareSources: "cs",
};

const FIELDS = Object.keys(PARAM) as (keyof ViewState)[];
export const viewStateCodec = urlStateCodec(schema, PARAM);

/** Reads a view from URL parameters (anything with `get`, e.g. URLSearchParams or Next's ReadonlyURLSearchParams). */
export const parseViewState = viewStateCodec.parse;

export const DEFAULT_VIEW_STATE: ViewState = viewStateCodec.defaults;

/** Writes a view to URL parameters, leaving out every field that has its default value. */
export const serializeViewState = viewStateCodec.serialize;

/** A view state from untrusted JSON (a share link's stored state); malformed fields fall back to defaults. */
export function viewStateFromJson(json: unknown): ViewState {
  const record = json !== null && typeof json === "object" ? (json as Record<string, unknown>) : {};
  const params = new URLSearchParams();
  for (const field of FIELDS) {
    const value = record[field];
    if (typeof value === "string" || typeof value === "number") params.set(PARAM[field], String(value));
    else if (Array.isArray(value)) params.set(PARAM[field], value.join(","));
  }
  return parseViewState(params);
}
