"use client";

import { useCallback, useState } from "react";
import { z } from "zod";
import { type ViewState, viewStateFromJson } from "~/lib/viz/view-state";
import { Explorer } from "../../../runs/[runId]/explore/_components/explorer";
import type { Pins } from "../../../runs/[runId]/explore/_components/use-view-panels";

// The pins the explorer's Share button writes into the state (use-view-panels.ts): the image panels'
// projections in panel order and the reference, or the patch projection of a patch-mode view.
const pinsSchema = z.object({
  projectionIds: z.array(z.string().min(1)).catch([]),
  referenceProjectionId: z.string().catch(""),
  patchProjection: z
    .object({ projectionId: z.string().min(1) })
    .nullable()
    .catch(null),
});

function pinsOf(state: Record<string, unknown>, pinnedProjectionIds: string[]): Pins {
  const parsed = pinsSchema.parse({ patchProjection: null, ...state });
  const projectionIds = parsed.projectionIds.length > 0 ? parsed.projectionIds : pinnedProjectionIds;
  return {
    projectionIds,
    referenceProjectionId: projectionIds.includes(parsed.referenceProjectionId)
      ? parsed.referenceProjectionId
      : (projectionIds[0] ?? ""),
    patchProjectionId: parsed.patchProjection?.projectionId ?? null,
  };
}

/**
 * The explorer on a shared state: the pinned projections (same coordinates as when shared), read-only layout.
 * Selection and colouring can still be explored here; they live in this page only and change no link.
 */
export function SharedExplorer({
  runId,
  state,
  pinnedProjectionIds,
}: {
  runId: string;
  state: Record<string, unknown>;
  pinnedProjectionIds: string[];
}) {
  const [view, setView] = useState(() => viewStateFromJson(state));
  const [pins] = useState(() => pinsOf(state, pinnedProjectionIds));
  const onStateChange = useCallback(
    (patch: Partial<ViewState>) => setView((current) => ({ ...current, ...patch })),
    [],
  );
  return <Explorer runId={runId} state={view} onStateChange={onStateChange} pins={pins} />;
}
