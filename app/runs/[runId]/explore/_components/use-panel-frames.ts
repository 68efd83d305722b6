"use client";

import { useQueries } from "@tanstack/react-query";
import { useMemo } from "react";
import type { PanelFrameMeta } from "~/lib/viz/point-table";
import { fetchFrame } from "./explorer-data";
import type { Computed, PinnedProjections } from "./use-projection-panels";

export interface PanelFrame {
  meta: PanelFrameMeta;
  coords: Float32Array;
  pointIndex: Uint32Array;
}

/**
 * Each panel's coordinates and point indices as binary, one request per panel (they arrive and decode in
 * parallel), aligned to the reference projection. `runId` is the explorer's run: a projection of another run of
 * its dataset is read through it, and its rows link to the same point order.
 */
export function usePanelFrames(runId: string, projections: PinnedProjections | null): Computed<PanelFrame[]> {
  const ids = projections?.projectionIds ?? [];
  const reference = projections?.referenceProjectionId ?? "";
  const queries = useQueries({
    queries: ids.map((projectionId) => ({
      queryKey: ["explorer", "panel", runId, projectionId, reference],
      queryFn: async ({ signal }: { signal: AbortSignal }): Promise<PanelFrame> => {
        const frame = await fetchFrame<PanelFrameMeta>(
          `/api/runs/${encodeURIComponent(runId)}/points/${encodeURIComponent(projectionId)}?reference=${encodeURIComponent(reference)}`,
          signal,
        );
        return {
          meta: frame.meta,
          coords: frame.arrays.coords as Float32Array,
          pointIndex: frame.arrays.pointIndex as Uint32Array,
        };
      },
      staleTime: Infinity,
    })),
  });
  const failed = queries.find((query) => query.error !== null)?.error;
  const isReady = projections !== null && queries.every((query) => query.data !== undefined);
  // One value per set of answers, so the panels decode once: the answers' times stand for the answers.
  const stamp = `${ids.join(",")}@${queries.map((query) => query.dataUpdatedAt).join(",")}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `stamp` changes exactly when an answer does.
  const value = useMemo(
    () => (isReady ? queries.map((query) => query.data as PanelFrame) : null),
    [isReady, stamp],
  );
  if (failed) return { status: "error", message: failed.message };
  return value === null ? { status: "loading" } : { status: "ready", value };
}
