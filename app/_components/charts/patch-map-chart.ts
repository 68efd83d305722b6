import * as d3 from "d3";
import {
  createFrame,
  drawLegend,
  type FrameText,
  HEADER_HEIGHT,
  layoutFrame,
  MARGIN,
  PALETTE,
} from "./figure-frame";
import type { ChartRenderer } from "./use-chart";

export type PatchOverlay =
  /** [rows · cols · 4]; the legend says what the channels are (e.g. R = PC1). */
  | { kind: "rgba"; rgba: Uint8Array; legend: { label: string; colour: string }[] }
  | { kind: "scalar"; values: Float32Array; domain: [number, number]; label: string }; // [rows · cols]

export interface PatchMapProps extends FrameText {
  /** Width of the map in CSS px; its height follows the photo's aspect ratio. */
  mapWidth: number;
  /** The photo as a data URL (so exported SVG and PNG carry it), or null while it loads. */
  photo: string | null;
  /** Photo height / width. */
  aspect: number;
  grid: [number, number];
  overlay: PatchOverlay;
  /** 0 shows only the photo, 1 only the map. */
  opacity: number;
  selectedCell: number | null;
  /** Clicking a cell, or moving from the picked one with the arrow keys, picks it (row-major index); absent = not interactive. */
  onPickCell?: (cell: number) => void;
}

// Room for the colour bar of scalar maps (similarity, attention) or the channel legend of RGB maps.
const COLOUR_BAR_ROOM = 72;
const LEGEND_ROOM = 124;

/**
 * A token-grid map over its photo: PCA-RGB colours or a scalar map (viridis) drawn cell by cell into an image
 * scaled up without smoothing, at an adjustable opacity; a picked cell is outlined. On a focused map the arrow
 * keys move the pick, so maps work without a mouse.
 */
export function createPatchMap(root: HTMLElement): ChartRenderer<PatchMapProps> {
  const svg = createFrame(root, "patch-map");
  let current: PatchMapProps | null = null;
  let cursor = 0;
  svg.on("keydown", (event: KeyboardEvent) => {
    if (current?.onPickCell === undefined) return;
    const [rows, cols] = current.grid;
    const moves: Record<string, number> = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -cols, ArrowDown: cols };
    if (event.key in moves) {
      cursor = Math.min(rows * cols - 1, Math.max(0, cursor + (moves[event.key] ?? 0)));
      current.onPickCell(cursor);
      event.preventDefault();
    }
  });
  return {
    update(props) {
      current = props;
      cursor = props.selectedCell ?? cursor;
      const [rows, cols] = props.grid;
      const mapHeight = Math.round(props.mapWidth * props.aspect);
      const body = layoutFrame(
        svg,
        {
          width:
            2 * MARGIN + props.mapWidth + (props.overlay.kind === "scalar" ? COLOUR_BAR_ROOM : LEGEND_ROOM),
          height: HEADER_HEIGHT + mapHeight + MARGIN,
        },
        props,
      );
      svg.attr("tabindex", props.onPickCell ? 0 : null);
      body.append("rect").attr("width", props.mapWidth).attr("height", mapHeight).attr("fill", PALETTE.panel);
      if (props.photo !== null) {
        body
          .append("image")
          .attr("href", props.photo)
          .attr("width", props.mapWidth)
          .attr("height", mapHeight)
          .attr("preserveAspectRatio", "none");
      }
      const colour = d3.scaleSequential(d3.interpolateViridis);
      if (props.overlay.kind === "scalar") colour.domain(props.overlay.domain);
      body
        .append("image")
        .attr("class", "overlay")
        .attr("href", overlayDataUrl(props.grid, props.overlay, colour))
        .attr("width", props.mapWidth)
        .attr("height", mapHeight)
        .attr("preserveAspectRatio", "none")
        .attr("opacity", props.opacity)
        .attr("style", "image-rendering: pixelated");
      const cellWidth = props.mapWidth / cols;
      const cellHeight = mapHeight / rows;
      if (props.selectedCell !== null) {
        body
          .append("rect")
          .attr("class", "picked-cell")
          .attr("x", (props.selectedCell % cols) * cellWidth)
          .attr("y", Math.floor(props.selectedCell / cols) * cellHeight)
          .attr("width", cellWidth)
          .attr("height", cellHeight)
          .attr("fill", "none")
          .attr("stroke", "#fff")
          .attr("stroke-width", 2);
      }
      if (props.onPickCell !== undefined) {
        const pick = props.onPickCell;
        body
          .append("rect")
          .attr("width", props.mapWidth)
          .attr("height", mapHeight)
          .attr("fill", "transparent")
          .style("cursor", "crosshair")
          .on("click", (event: MouseEvent) => {
            const [x, y] = d3.pointer(event);
            const col = Math.min(cols - 1, Math.max(0, Math.floor(x / cellWidth)));
            const row = Math.min(rows - 1, Math.max(0, Math.floor(y / cellHeight)));
            pick(row * cols + col);
          });
      }
      if (props.overlay.kind === "scalar")
        drawColourBar(body, colour, { x: props.mapWidth + 12, y: 0, height: mapHeight }, props.overlay.label);
      else drawLegend(body, props.overlay.legend, { x: props.mapWidth + 12, y: 6 });
    },
    destroy() {
      svg.on("keydown", null);
      svg.remove();
    },
  };
}

/** The grid as a PNG data URL, one pixel per cell (scaled up by the SVG without smoothing). */
function overlayDataUrl(
  grid: [number, number],
  overlay: PatchOverlay,
  colour: d3.ScaleSequential<string>,
): string {
  const [rows, cols] = grid;
  const canvas = document.createElement("canvas");
  canvas.width = cols;
  canvas.height = rows;
  const context = canvas.getContext("2d");
  if (context === null) return "";
  const image = context.createImageData(cols, rows);
  if (overlay.kind === "rgba") image.data.set(overlay.rgba.subarray(0, rows * cols * 4));
  else {
    for (let cell = 0; cell < rows * cols; cell++) {
      const value = overlay.values[cell] ?? Number.NaN;
      const rgb = d3.rgb(Number.isFinite(value) ? colour(value) : PALETTE.panel);
      image.data.set([rgb.r, rgb.g, rgb.b, 255], cell * 4);
    }
  }
  context.putImageData(image, 0, 0);
  return canvas.toDataURL("image/png");
}

/** A vertical colour bar with min/max ticks beside a scalar map. */
function drawColourBar(
  body: d3.Selection<SVGGElement, unknown, null, undefined>,
  colour: d3.ScaleSequential<string>,
  at: { x: number; y: number; height: number },
  label: string,
): void {
  const [low, high] = colour.domain() as [number, number];
  const bar = body.append("g").attr("class", "colour-bar").attr("transform", `translate(${at.x},${at.y})`);
  const steps = 32;
  for (let s = 0; s < steps; s++) {
    bar
      .append("rect")
      .attr("y", (at.height * s) / steps)
      .attr("width", 12)
      .attr("height", at.height / steps + 0.5)
      .attr("fill", colour(high - ((high - low) * (s + 0.5)) / steps));
  }
  for (const [value, y] of [
    [high, 8],
    [low, at.height],
  ] as const) {
    bar
      .append("text")
      .attr("x", 16)
      .attr("y", y)
      .attr("font-size", 10)
      .attr("fill", PALETTE.muted)
      .text(value.toFixed(2));
  }
  bar
    .append("text")
    .attr("transform", `translate(${44},${at.height / 2}) rotate(90)`)
    .attr("text-anchor", "middle")
    .attr("font-size", 10)
    .attr("fill", PALETTE.muted)
    .text(label);
}
