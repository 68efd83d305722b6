"use client";

import { useMemo } from "react";
import { type DecodedPanel, decodePanels } from "~/lib/viz/panels";
import { type DecodedPatchPanel, decodePatchPanel } from "~/lib/viz/patches";
import type { ViewState } from "~/lib/viz/view-state";
import type { AnalysisPoint } from "./explorer-data";
import {
  type Computed,
  type PinnedProjections,
  usePatchPanel,
  useProjectionPanels,
} from "./use-projection-panels";

/**
 * What the explorer draws, in one shape for both modes: panels whose rows link to `points` (the run's images,
 * or in patch mode one point per patch token, standing for its image), the selection's state field, and the
 * ids a share link must pin to reproduce the coordinates.
 */
export interface ViewPanels {
  status: Computed<unknown>["status"];
  fraction: number;
  message: string;
  panels: DecodedPanel[];
  points: AnalysisPoint[];
  referenceIndex: number;
  selectionField: "selection" | "patchSelection";
  /** Patch mode: each image's patch range and grid, for lighting up selected patches. */
  patchImages: DecodedPatchPanel["images"] | null;
  pins: Record<string, unknown>;
}

/** A shared view's pins: the image panels' projections, and the patch projection if it was in patch mode. */
export interface Pins extends PinnedProjections {
  patchProjectionId: string | null;
}

// Patch layouts take at most the server's limit of images; without a selection, the first few keep it quick.
const MAX_PATCH_IMAGES = 64;
const DEFAULT_PATCH_IMAGES = 16;
// Until a mode's data is there, it draws nothing.
const NO_PANELS: DecodedPanel[] = [];

function progressOf(computed: Computed<unknown>): Pick<ViewPanels, "status" | "fraction" | "message"> {
  return {
    status: computed.status,
    fraction: computed.status === "computing" ? computed.fraction : 0,
    message: computed.status === "error" ? computed.message : "",
  };
}

export function useViewPanels(options: {
  runId: string;
  state: ViewState;
  shown: string[];
  reference: string;
  patchSource: string;
  points: AnalysisPoint[];
  indexOfImage: ReadonlyMap<string, number>;
  selected: ReadonlySet<number>;
  pins: Pins | null;
}): ViewPanels {
  const { runId, state, points, indexOfImage, pins } = options;
  const isPatches = state.mode === "patches";
  const params = { nNeighbors: state.nNeighbors, minDist: state.minDist, seed: state.seed };

  const imagePanels = useProjectionPanels(
    pins !== null || isPatches || options.shown.length === 0
      ? null
      : { runId, sources: options.shown, method: state.method, params, referenceSource: options.reference },
    isPatches ? null : pins,
  );
  const patchImageIds = useMemo(() => {
    const chosen = options.selected.size > 0 ? [...options.selected].flatMap((i) => points[i] ?? []) : points;
    const done = chosen.filter((point) => point.status === "done").map((point) => point.imageId);
    return done.slice(0, options.selected.size > 0 ? MAX_PATCH_IMAGES : DEFAULT_PATCH_IMAGES);
  }, [options.selected, points]);
  const patchPanel = usePatchPanel(
    pins !== null || !isPatches || patchImageIds.length === 0 || options.patchSource === ""
      ? null
      : { runId, source: options.patchSource, imageIds: patchImageIds, method: state.method, params },
    isPatches ? (pins?.patchProjectionId ?? null) : null,
  );

  const readyImagePanels = imagePanels.status === "ready" ? imagePanels.value : null;
  const decodedImages = useMemo(
    () => (readyImagePanels === null ? NO_PANELS : decodePanels(readyImagePanels, indexOfImage)),
    [readyImagePanels, indexOfImage],
  );
  const readyPatchPanel = patchPanel.status === "ready" ? patchPanel.value : null;
  const decodedPatches = useMemo(() => {
    if (readyPatchPanel === null) return null;
    const panel = decodePatchPanel(readyPatchPanel, indexOfImage);
    // Patch rows are the points here: each stands for its image (hover, colour), selection is by patch.
    const rowPoints = Array.from(panel.pointIndex, (index) => points[index] as AnalysisPoint);
    const identity = Uint32Array.from(rowPoints, (_, row) => row);
    return { panel: { ...panel, pointIndex: identity }, rowPoints, images: panel.images };
  }, [readyPatchPanel, indexOfImage, points]);

  if (isPatches) {
    return {
      ...progressOf(patchPanel),
      panels: decodedPatches ? [decodedPatches.panel] : NO_PANELS,
      points: decodedPatches?.rowPoints ?? [],
      referenceIndex: 0,
      selectionField: "patchSelection",
      patchImages: decodedPatches?.images ?? null,
      pins: { patchProjection: { projectionId: decodedPatches?.panel.projectionId ?? "" } },
    };
  }
  return {
    ...progressOf(imagePanels),
    panels: decodedImages,
    points,
    referenceIndex: Math.max(
      0,
      decodedImages.findIndex((panel) => panel.source === options.reference),
    ),
    selectionField: "selection",
    patchImages: null,
    pins: {
      projectionIds: decodedImages.map((panel) => panel.projectionId),
      referenceProjectionId:
        decodedImages.find((panel) => panel.source === options.reference)?.projectionId ?? "",
    },
  };
}
