"use client";

import { useEffect, useMemo, useRef, useState } from "react";
import type { Categories } from "~/lib/viz/categories";
import { clusterLabel } from "~/lib/viz/colour-by";
import {
  clusterAnchors,
  describeQuality,
  type IndexSet,
  pointsOfRows,
  rowsOfPoints,
  valuesForRows,
} from "~/lib/viz/panels";
import { PointSummary } from "./point-summary";
import { type PanelLabel, ScatterPanel } from "./scatter-panel";
import type { Rendering, Tool } from "./scatter-renderer";
import type { ViewPanels } from "./use-view-panels";

const NO_LABELS: PanelLabel[] = [];
const NO_ROWS = new Uint32Array(0);

/**
 * The small multiples, or why they are not there yet (loading, computing with progress, error). Records the
 * time to first render — navigation start until every panel has drawn its points — on `data-first-render-ms`,
 * and when the layouts arrived on `data-panels-ready-ms`, so the drawing itself can be timed apart.
 */
export function ExplorerPanels({
  runId,
  renderer,
  view,
  categories,
  selected,
  tool,
  onSelect,
  onOpen,
  clusters,
}: {
  runId: string;
  /** Null while the WebGL renderer loads. */
  renderer: Rendering | null;
  view: ViewPanels;
  categories: Categories;
  /** Indices of the view's items. */
  selected: IndexSet;
  tool: Tool;
  onSelect: (indices: ArrayLike<number>) => void;
  onOpen: (index: number) => void;
  /** With cluster colouring: each point's cluster and each cluster's words, named on every panel. */
  clusters: { ofPoint: Uint16Array; names: string[][] } | null;
}) {
  const { panels, pointOfItem } = view;
  const colours = useMemo(() => categories.legend.map((entry) => entry.colour), [categories]);
  // Per-panel arrays are memoised: the renderer redraws all points whenever it gets new ones.
  const codes = useMemo(
    () => panels.map((panel) => valuesForRows(panel, categories.codes)),
    [panels, categories],
  );
  const selections = useMemo(() => panels.map((panel) => rowsOfPoints(panel, selected)), [panels, selected]);
  const labels = useMemo(
    () =>
      panels.map((panel): PanelLabel[] => {
        if (clusters === null) return [];
        const colourOf = new Map(categories.legend.map((entry) => [entry.label, entry.colour]));
        return clusterAnchors(panel, clusters.ofPoint, clusters.names.length).map(({ cluster, row }) => {
          const text = clusterLabel(cluster, clusters.names);
          return { row, text, colour: colourOf.get(text) ?? "#fff" };
        });
      }),
    [panels, clusters, categories],
  );

  const [readyMs, setReadyMs] = useState<number | null>(null);
  const isReady = view.status === "ready";
  useEffect(() => {
    if (isReady) setReadyMs((ms) => ms ?? Math.round(performance.now()));
  }, [isReady]);
  const drawn = useRef(new Set<string>());
  const [firstRenderMs, setFirstRenderMs] = useState<number | null>(null);
  const onFirstDraw = (projectionId: string) => {
    drawn.current.add(projectionId);
    if (firstRenderMs === null && panels.every((panel) => drawn.current.has(panel.projectionId)))
      setFirstRenderMs(Math.round(performance.now()));
  };

  if (view.status === "error") {
    return (
      <p role="alert" className="text-bad">
        {view.message}
      </p>
    );
  }
  if (view.status !== "ready" || renderer === null)
    return <PanelsPending fraction={view.status === "computing" ? view.fraction : null} />;
  return (
    <div
      data-testid="projection-panels"
      data-mode={view.selectionField === "patchSelection" ? "patches" : "images"}
      data-first-render-ms={firstRenderMs ?? undefined}
      data-panels-ready-ms={readyMs ?? undefined}
      className={`grid gap-3 ${panels.length === 1 ? "max-w-2xl grid-cols-1" : "grid-cols-1 sm:grid-cols-2 lg:grid-cols-3 xl:grid-cols-4"}`}
    >
      {panels.map((panel, i) => (
        <ScatterPanel
          key={panel.projectionId}
          title={panel.title}
          subtitle={describeQuality(panel.quality)}
          renderer={renderer}
          coords={panel.coords}
          codes={codes[i] ?? new Uint16Array(0)}
          colours={colours}
          selected={selections[i] ?? NO_ROWS}
          tool={tool}
          onSelect={(rows) => onSelect(pointsOfRows(panel, rows))}
          onOpen={(row) => onOpen(panel.pointIndex[row] ?? 0)}
          onFirstDraw={() => onFirstDraw(panel.projectionId)}
          labels={labels[i] ?? NO_LABELS}
          describePoint={(row) => {
            const item = panel.pointIndex[row] ?? 0;
            return (
              <PointSummary runId={runId} index={pointOfItem === null ? item : (pointOfItem[item] ?? 0)} />
            );
          }}
        />
      ))}
    </div>
  );
}

function PanelsPending({ fraction }: { fraction: number | null }) {
  return (
    <div aria-live="polite" className="rounded-lg border border-line bg-panel p-4 text-sm">
      {fraction === null ? (
        <p className="animate-pulse text-muted">Loading layouts…</p>
      ) : (
        <>
          <p className="mb-2 text-muted">Computing layouts… {Math.round(fraction * 100)} %</p>
          <div
            role="progressbar"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={Math.round(fraction * 100)}
            className="h-2 overflow-hidden rounded bg-line"
          >
            <div className="h-full bg-accent transition-all" style={{ width: `${fraction * 100}%` }} />
          </div>
        </>
      )}
    </div>
  );
}
