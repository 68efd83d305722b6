"use client";

import { useQuery } from "@tanstack/react-query";
import { PatchMap } from "~/app/_components/charts/charts";
import { ExportableFigure } from "~/app/_components/charts/exportable-figure";
import { useTRPC } from "~/app/_trpc/react";
import { bytesOfBase64 } from "~/lib/codec/base64";
import { buildCsv } from "~/lib/viz/figure-csv";
import type { ImageViewState } from "./image-view-state";
import { SimilarityMaps } from "./similarity-maps";

// Map width in CSS px: four maps fit side by side in the page's 6xl column.
export const MAP_WIDTH = 230;

export interface PcaSectionProps {
  runId: string;
  imageId: string;
  keptSources: string[];
  shown: string[];
  photo: string | null;
  aspect: number;
  state: ImageViewState;
  onStateChange: (patch: Partial<ImageViewState>) => void;
}

/** PCA-RGB maps of each shown source side by side (paper Fig. 3); a picked patch shows its similarity maps. */
export function PcaSection(props: PcaSectionProps) {
  const trpc = useTRPC();
  const { state } = props;
  const maps = useQuery(
    trpc.imageView.pcaRgb.queryOptions(
      {
        runId: props.runId,
        imageIds: [props.imageId],
        sources: props.shown,
        threshold: state.threshold,
        foreground: state.foreground,
      },
      { staleTime: Number.POSITIVE_INFINITY },
    ),
  );
  const toggleSource = (source: string) => {
    const next = props.shown.includes(source)
      ? props.shown.filter((s) => s !== source)
      : props.keptSources.filter((s) => s === source || props.shown.includes(s));
    if (next.length > 0)
      props.onStateChange({ sources: next.length === props.keptSources.length ? [] : next });
  };
  return (
    <section aria-labelledby="pca-title" className="space-y-4">
      <h2 id="pca-title" className="font-medium text-muted text-sm uppercase tracking-wide">
        PCA-RGB maps per source
      </h2>
      <div className="flex flex-wrap items-center gap-x-6 gap-y-2 text-sm">
        <fieldset className="flex flex-wrap items-center gap-3">
          <legend className="sr-only">Sources</legend>
          {props.keptSources.map((source) => (
            <label key={source} className="flex items-center gap-1">
              <input
                type="checkbox"
                checked={props.shown.includes(source)}
                onChange={() => toggleSource(source)}
              />
              {source}
            </label>
          ))}
        </fieldset>
        <label className="flex items-center gap-2 text-muted">
          <input
            type="checkbox"
            checked={state.threshold !== null}
            onChange={(event) => props.onStateChange({ threshold: event.target.checked ? 0.5 : null })}
          />
          Remove background, cut at
          <input
            type="number"
            min={0}
            max={1}
            step={0.05}
            disabled={state.threshold === null}
            value={state.threshold ?? 0.5}
            onChange={(event) => props.onStateChange({ threshold: Number(event.target.value) })}
            className="w-16 rounded border border-line bg-surface px-1 text-white"
          />
        </label>
        <label className="flex items-center gap-2 text-muted">
          Foreground
          <select
            value={state.foreground}
            onChange={(event) => props.onStateChange({ foreground: event.target.value as "above" | "below" })}
            className="rounded border border-line bg-surface px-1 text-white"
          >
            <option value="above">above the cut</option>
            <option value="below">below the cut</option>
          </select>
        </label>
      </div>
      {maps.isPending ? (
        <p className="animate-pulse text-muted text-sm">Computing PCA-RGB maps…</p>
      ) : maps.isError ? (
        <p role="alert" className="text-bad text-sm">
          {maps.error.message}
        </p>
      ) : (
        <div className="flex flex-wrap gap-4" data-testid="pca-maps">
          {maps.data.map((view) => {
            const map = view.maps[0];
            if (map === undefined) return null;
            const rgba = bytesOfBase64(map.rgba);
            const ratios = view.explainedVarianceRatio[0] ?? [];
            return (
              <ExportableFigure
                key={view.source}
                name={`PCA-RGB ${view.source}`}
                csv={() => pcaCsv(map.grid, rgba)}
              >
                <PatchMap
                  title={view.source}
                  subtitle={`PCA-RGB · ${view.threshold === null ? "no cut" : `cut ${view.threshold}`} · ${Math.round(map.foregroundFraction * 100)}% fg · var ${ratios.map((r) => r.toFixed(2)).join("/")}`}
                  mapWidth={MAP_WIDTH}
                  photo={props.photo}
                  aspect={props.aspect}
                  grid={map.grid}
                  overlay={{ kind: "rgba", rgba, legend: channelLegend(ratios, view.threshold !== null) }}
                  opacity={state.opacity}
                  selectedCell={state.patchSource === view.source && state.patch >= 0 ? state.patch : null}
                  onPickCell={(cell) => props.onStateChange({ patchSource: view.source, patch: cell })}
                />
              </ExportableFigure>
            );
          })}
        </div>
      )}
      <p className="text-muted text-xs">
        Click a patch (or focus a map and use the arrow keys) to see its cosine similarity to every patch.
      </p>
      {state.patch >= 0 && props.shown.includes(state.patchSource) ? (
        <SimilarityMaps {...props} source={state.patchSource} patch={state.patch} />
      ) : null}
    </section>
  );
}

// Pure channel colours, so the legend reads as "red = PC1" whatever the map's mix.
const CHANNELS = ["#ff4d4d", "#4dff4d", "#4d7dff"];

function channelLegend(ratios: number[], hasBackground: boolean) {
  const legend = CHANNELS.map((colour, c) => ({
    label: `PC${c + 1} ${ratios[c] === undefined ? "" : `(${Math.round(ratios[c] * 100)}%)`}`,
    colour,
  }));
  return hasBackground ? [...legend, { label: "clear: background", colour: "#8b95a5" }] : legend;
}

function pcaCsv(grid: [number, number], rgba: Uint8Array): string {
  const [rows, cols] = grid;
  const lines = Array.from({ length: rows * cols }, (_, cell) => [
    cell,
    Math.floor(cell / cols),
    cell % cols,
    rgba[cell * 4] ?? 0,
    rgba[cell * 4 + 1] ?? 0,
    rgba[cell * 4 + 2] ?? 0,
    (rgba[cell * 4 + 3] ?? 0) > 0,
  ]);
  return buildCsv(["cell", "row", "col", "r", "g", "b", "foreground"], lines);
}
