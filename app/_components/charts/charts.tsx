"use client";

import { createPatchMap, type PatchMapProps } from "./patch-map-chart";
import { createPlotlyChart, type PlotlyFigureProps } from "./plotly-chart";
import { useChart } from "./use-chart";

// React wrappers: each owns one container div; the renderer (d3 or plotly) owns what is inside it (see useChart).

/** A plotly.js figure (zoom, hover values, legend toggles), loaded on first mount. */
export function PlotlyFigure(props: PlotlyFigureProps) {
  return (
    <div
      ref={useChart(createPlotlyChart, props)}
      className="overflow-x-auto"
      style={{ minHeight: props.height }}
      data-testid="plotly-figure"
    />
  );
}

export function PatchMap(props: PatchMapProps) {
  return <div ref={useChart(createPatchMap, props)} />;
}
