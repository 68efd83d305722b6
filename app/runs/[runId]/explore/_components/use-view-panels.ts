"use client";

import { useMemo } from "react";
import { type DecodedPanel, decodePanels } from "~/lib/viz/panels";
import { type DecodedPatchPanel, decodePatchPanel } from "~/lib/viz/patches";
import type { PointSet } from "~/lib/viz/point-set";
import { POINT_STATUSES } from "~/lib/viz/point-table";
import type { ViewState } from "~/lib/viz/view-state";
import { type AnalysisPoint, type PointTable, usePointDetails } from "./explorer-data";
import { usePanelFrames } from "./use-panel-frames";
import {
  type Computed,
  type PinnedProjections,
  usePatchPanel,
  useProjectionPanels,
} from "./use-projection-panels";

/**
 * What the explorer draws, in one shape for both modes: panels whose rows link to items — the run's points, or
 * in patch mode one item per patch token, standing for its image — the selection's state field, and the ids a
 * share link must pin to reproduce the coordinates.
 */
export interface ViewPanels {
  status: Computed<unknown>["status"];
  fraction: number;
  message: string;
  panels: DecodedPanel[];
  /** How many items the panels' rows index (what a selection is a subset of). */
  count: number;
  /** Patch mode: each item's point (its image); null when items are the points. */
  pointOfItem: Uint32Array | null;
  referenceIndex: number;
  selectionField: "selection" | "patchSelection";
  /** Patch mode: each image's patch range and grid, for lighting up selected patches, with its details. */
  patchImages: DecodedPatchPanel["images"] | null;
  patchDetails: ReadonlyMap<string, AnalysisPoint>;
  pins: Record<string, unknown>;
}

/** A shared view's pins: the image panels' projections, and the patch projection if it was in patch mode. */
export interface Pins extends PinnedProjections {
  patchProjectionId: string | null;
}

// Patch layouts take at most the server's limit of images; without a selection, the first few keep it quick.
const MAX_PATCH_IMAGES = 64;
const DEFAULT_PATCH_IMAGES = 16;
const DONE = POINT_STATUSES.indexOf("done");
// Until a mode's data is there, it draws nothing.
const NO_PANELS: DecodedPanel[] = [];
const NO_DETAILS = new Map<string, AnalysisPoint>();

function progressOf(computed: Computed<unknown>): Pick<ViewPanels, "status" | "fraction" | "message"> {
  return {
    status: computed.status,
    fraction: computed.status === "computing" ? computed.fraction : 0,
    message: computed.status === "error" ? computed.message : "",
  };
}

/** The first `limit` encoded points among the selected ones (all points without a selection). */
function patchCandidates(table: PointTable, selected: PointSet, limit: number): number[] {
  const chosen: number[] = [];
  const isDone = (index: number) => table.status[index] === DONE;
  if (selected.size > 0) {
    for (const index of selected) if (isDone(index) && chosen.push(index) >= limit) break;
  } else {
    for (let index = 0; index < table.count && chosen.length < limit; index++)
      if (isDone(index)) chosen.push(index);
  }
  return chosen;
}

export function useViewPanels(options: {
  runId: string;
  state: ViewState;
  shown: string[];
  reference: string;
  patchSource: string;
  table: PointTable;
  selected: PointSet;
  pins: Pins | null;
}): ViewPanels {
  const { runId, state, table, pins } = options;
  const isPatches = state.mode === "patches";
  const params = { nNeighbors: state.nNeighbors, minDist: state.minDist, seed: state.seed };

  const isLive = pins === null && !isPatches;
  const own = useProjectionPanels(
    !isLive || options.shown.length === 0
      ? null
      : { runId, sources: options.shown, method: state.method, params, referenceSource: options.reference },
    isPatches || pins === null ? null : pins,
  );
  // Panels of another run of the dataset: the same method and parameters, aligned to this run's reference.
  const compared = useProjectionPanels(
    !isLive || state.compareRun === "" || state.compareSources.length === 0
      ? null
      : { runId: state.compareRun, sources: state.compareSources, method: state.method, params },
    null,
  );
  const isComparing = isLive && state.compareRun !== "" && state.compareSources.length > 0;
  const projections: Computed<PinnedProjections> =
    own.status !== "ready" || !isComparing
      ? own
      : compared.status !== "ready"
        ? compared
        : {
            status: "ready",
            value: {
              projectionIds: [...own.value.projectionIds, ...compared.value.projectionIds],
              referenceProjectionId: own.value.referenceProjectionId,
            },
          };
  const frames = usePanelFrames(runId, projections.status === "ready" ? projections.value : null);
  const imagePanels = projections.status === "ready" ? frames : projections;
  const referenceId = projections.status === "ready" ? projections.value.referenceProjectionId : "";

  const candidates = useMemo(
    () =>
      isPatches
        ? patchCandidates(
            table,
            options.selected,
            options.selected.size > 0 ? MAX_PATCH_IMAGES : DEFAULT_PATCH_IMAGES,
          )
        : [],
    [isPatches, table, options.selected],
  );
  const candidateDetails = usePointDetails(
    runId,
    pins === null && candidates.length > 0 ? { indices: candidates } : null,
  );
  const patchImageIds = useMemo(
    () => (candidateDetails.data ?? []).map((point) => point.imageId),
    [candidateDetails.data],
  );
  const patchPanel = usePatchPanel(
    pins !== null || !isPatches || patchImageIds.length === 0 || options.patchSource === ""
      ? null
      : { runId, source: options.patchSource, imageIds: patchImageIds, method: state.method, params },
    isPatches ? (pins?.patchProjectionId ?? null) : null,
  );
  const readyPatchPanel = patchPanel.status === "ready" ? patchPanel.value : null;
  const patchDetailsQuery = usePointDetails(
    runId,
    readyPatchPanel === null ? null : { imageIds: readyPatchPanel.images.map((image) => image.imageId) },
  );

  const readyFrames = frames.status === "ready" ? frames.value : null;
  const decodedImages = useMemo(
    () => (readyFrames === null ? NO_PANELS : decodePanels(readyFrames, table.count, runId)),
    [readyFrames, table.count, runId],
  );
  const patchDetails = useMemo(
    () => new Map((patchDetailsQuery.data ?? []).map((point) => [point.imageId, point])),
    [patchDetailsQuery.data],
  );
  const decodedPatches = useMemo(() => {
    if (readyPatchPanel === null || patchDetailsQuery.data === undefined) return null;
    const indexOfImage = new Map([...patchDetails].map(([imageId, point]) => [imageId, point.index]));
    const panel = decodePatchPanel(readyPatchPanel, indexOfImage);
    // Patch rows are the items here: each stands for its image (hover, colour), selection is by patch.
    const identity = Uint32Array.from(panel.pointIndex, (_, row) => row);
    return { panel: { ...panel, pointIndex: identity }, pointOfItem: panel.pointIndex, images: panel.images };
  }, [readyPatchPanel, patchDetailsQuery.data, patchDetails]);

  if (isPatches) {
    const isWaitingForDetails = patchPanel.status === "ready" && decodedPatches === null;
    return {
      ...progressOf(isWaitingForDetails ? { status: "loading" } : patchPanel),
      panels: decodedPatches ? [decodedPatches.panel] : NO_PANELS,
      count: decodedPatches?.pointOfItem.length ?? 0,
      pointOfItem: decodedPatches?.pointOfItem ?? new Uint32Array(0),
      referenceIndex: 0,
      selectionField: "patchSelection",
      patchImages: decodedPatches?.images ?? null,
      patchDetails,
      pins: { patchProjection: { projectionId: decodedPatches?.panel.projectionId ?? "" } },
    };
  }
  return {
    ...progressOf(imagePanels),
    panels: decodedImages,
    count: table.count,
    pointOfItem: null,
    referenceIndex: Math.max(
      0,
      decodedImages.findIndex((panel) => panel.projectionId === referenceId),
    ),
    selectionField: "selection",
    patchImages: null,
    patchDetails: NO_DETAILS,
    pins: {
      projectionIds: decodedImages.map((panel) => panel.projectionId),
      referenceProjectionId: decodedImages.some((panel) => panel.projectionId === referenceId)
        ? referenceId
        : "",
    },
  };
}
