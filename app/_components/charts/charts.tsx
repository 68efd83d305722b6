"use client";

import { type BarChartProps, createBarChart } from "./bar-chart";
import { createHeatmap, type HeatmapProps } from "./heatmap-chart";
import { createLineChart, type LineChartProps } from "./line-chart";
import { createPatchMap, type PatchMapProps } from "./patch-map-chart";
import { useChart } from "./use-chart";

// React wrappers: each owns one container div; d3 owns the SVG inside it (see useChart).

export function LineChart(props: LineChartProps) {
  return <div ref={useChart(createLineChart, props)} className="overflow-x-auto" />;
}

export function BarChart(props: BarChartProps) {
  return <div ref={useChart(createBarChart, props)} className="overflow-x-auto" />;
}

export function Heatmap(props: HeatmapProps) {
  return <div ref={useChart(createHeatmap, props)} className="overflow-x-auto" />;
}

export function PatchMap(props: PatchMapProps) {
  return <div ref={useChart(createPatchMap, props)} />;
}
