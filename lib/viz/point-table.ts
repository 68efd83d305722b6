import type { LegendEntry } from "./categories";

/**
 * The explorer's table of a run's points as one binary frame (lib/viz/typed-frame.ts): what every point needs
 * for drawing, colouring and linking — its encoding status and its colour code — with the legend and the colour
 * choices in the header. Names, captions and thumbnails are not in it; the page asks for those per point.
 */
export interface PointTableMeta {
  count: number;
  /** The colouring the codes are for (the default one when none was asked for). */
  colourBy: string;
  legend: LegendEntry[];
  /** The "colour by label" choices. */
  labelKeys: string[];
}

/** `status` codes of the table, in this order. */
export const POINT_STATUSES = ["done", "failed", "pending"] as const;
export type PointStatus = (typeof POINT_STATUSES)[number];

/** One panel's frame: its rows' coordinates and, per row, the point (index in the point table) it is. */
export interface PanelFrameMeta {
  source: string;
  projectionId: string;
  /** The run whose layout this is (a panel may come from another run of the same dataset). */
  runId: string;
  runName: string;
  quality: { trustworthiness: number; knnRecall: number; k: number } | null;
}
