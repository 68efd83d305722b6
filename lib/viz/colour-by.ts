import { type Categories, categorize } from "./categories";

/** What the explorer needs of each image to colour it. */
export interface ColourablePoint {
  caption: string | null;
  labels: Record<string, unknown>;
  status: string;
  /** Task token → the model's answer text, e.g. { "<OCR>": "STOP" }. */
  tasks: Record<string, string>;
}

export type ColourBy =
  | { kind: "none" }
  | { kind: "status" }
  | { kind: "cluster"; k: number }
  | { kind: "label"; key: string }
  | { kind: "word"; word: string }
  | { kind: "answer"; prompt: string };

/** Parses a `colourBy` string of the view state (`label:colour`, `cluster:6`, …); anything else is "none". */
export function parseColourBy(text: string): ColourBy {
  const colon = text.indexOf(":");
  const kind = colon < 0 ? text : text.slice(0, colon);
  const rest = colon < 0 ? "" : text.slice(colon + 1);
  if (kind === "status") return { kind };
  if (kind === "cluster" && /^\d+$/.test(rest)) return { kind, k: Number(rest) };
  if (kind === "label" && rest) return { kind, key: rest };
  if (kind === "word" && rest) return { kind, word: rest.toLowerCase() };
  if (kind === "answer" && rest) return { kind, prompt: rest };
  return { kind: "none" };
}

/**
 * The colouring a view without one gets (its `colourBy` is empty): by the first manifest label when the images
 * have labels (what a labelled dataset is usually studied by), else none.
 */
export function defaultColourBy(points: readonly Pick<ColourablePoint, "labels">[]): string {
  for (const point of points) {
    const first = Object.keys(point.labels)[0];
    if (first !== undefined) return `label:${first}`;
  }
  return "none";
}

/** A short human title for a colouring, used in legends and figure titles. */
export function describeColourBy(colourBy: ColourBy): string {
  switch (colourBy.kind) {
    case "none":
      return "all points";
    case "status":
      return "encoding status";
    case "cluster":
      return `${colourBy.k} clusters (k-means on the reference panel)`;
    case "label":
      return `label “${colourBy.key}”`;
    case "word":
      return `caption contains “${colourBy.word}”`;
    case "answer":
      return `answer to ${colourBy.prompt}`;
  }
}

function labelText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

/** Whole-word match, so "red" does not light up "ordered". */
function hasWord(text: string, word: string): boolean {
  const escaped = word.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\p{L}\\p{N}])${escaped}($|[^\\p{L}\\p{N}])`, "iu").test(text);
}

/** Marks a point that is not in the clustered panel. */
export const NO_CLUSTER = 0xffff;

/** A cluster's legend entry: its number and, when known, the words that name it. */
export function clusterLabel(cluster: number, names?: readonly (readonly string[])[]): string {
  const words = names?.[cluster] ?? [];
  return words.length > 0 ? `cluster ${cluster + 1}: ${words.join(", ")}` : `cluster ${cluster + 1}`;
}

/**
 * A point's value under any colouring but clusters (those come from a layout, not from the point): what the
 * server's point table sends per point (server/services/explorer/point-table.ts).
 */
export function colourValue(
  point: ColourablePoint,
  colourBy: Exclude<ColourBy, { kind: "cluster" }>,
): string | null {
  switch (colourBy.kind) {
    case "none":
      return "all points";
    case "status":
      return point.status;
    case "label":
      return labelText(point.labels[colourBy.key]);
    case "word":
      if (point.caption === null) return null;
      return hasWord(point.caption, colourBy.word) ? `with “${colourBy.word}”` : `without “${colourBy.word}”`;
    case "answer": {
      const answer = point.tasks[colourBy.prompt];
      return answer === undefined ? null : answer.trim() || "(empty)";
    }
  }
}

function pointValue(
  point: ColourablePoint,
  cluster: number | undefined,
  colourBy: ColourBy,
  clusterNames: readonly (readonly string[])[] | undefined,
): string | null {
  return colourBy.kind === "cluster" ? clusterValue(cluster, clusterNames) : colourValue(point, colourBy);
}

function clusterValue(
  cluster: number | undefined,
  clusterNames: readonly (readonly string[])[] | undefined,
): string | null {
  return cluster === undefined || cluster === NO_CLUSTER ? null : clusterLabel(cluster, clusterNames);
}

/** Categories of each point's k-means cluster (NO_CLUSTER: "(none)"), named by `clusterNames` when known. */
export function colourClusters(
  clusters: Uint16Array,
  clusterNames?: readonly (readonly string[])[],
): Categories {
  return categorize(Array.from(clusters, (cluster) => clusterValue(cluster, clusterNames)));
}

/**
 * Each point's category under a colouring. `clusters` (each point's k-means cluster, or NO_CLUSTER) is needed
 * only for cluster colouring; without it every point is "(none)" until the clusters are ready. `clusterNames`
 * (each cluster's distinguishing words) go into the cluster entries' labels.
 */
export function colourPoints(
  points: readonly ColourablePoint[],
  colourBy: ColourBy,
  clusters?: Uint16Array,
  clusterNames?: readonly (readonly string[])[],
): Categories {
  return categorize(points.map((point, i) => pointValue(point, clusters?.[i], colourBy, clusterNames)));
}

/** Label keys present on any point, sorted: the "colour by label" choices. */
export function labelKeys(points: readonly ColourablePoint[]): string[] {
  const keys = new Set<string>();
  for (const point of points) for (const key of Object.keys(point.labels)) keys.add(key);
  return [...keys].sort();
}
