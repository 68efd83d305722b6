import * as d3 from "d3";
import { createFrame, type FrameText, HEADER_HEIGHT, layoutFrame, MARGIN, PALETTE } from "./figure-frame";
import type { ChartRenderer } from "./use-chart";

export interface HeatmapProps extends FrameText {
  labels: readonly string[];
  /** Square matrix; null cells (undefined values) are drawn empty. */
  matrix: readonly (readonly (number | null)[])[];
  /** Colour scale domain, e.g. [0, 1] for CKA. */
  domain: [number, number];
  colourLabel: string;
}

// Label room for source names, cell size and the colour bar's width.
const LABEL_WIDTH = 210;
const CELL = 46;
const COLOUR_BAR = 70;

/** A labelled square matrix with each value printed in its cell and a colour bar (the CKA matrix). */
export function createHeatmap(root: HTMLElement): ChartRenderer<HeatmapProps> {
  const svg = createFrame(root, "heatmap");
  return {
    update(props) {
      const n = props.labels.length;
      const side = n * CELL;
      const body = layoutFrame(
        svg,
        {
          width: 2 * MARGIN + LABEL_WIDTH + side + COLOUR_BAR,
          height: HEADER_HEIGHT + LABEL_WIDTH + side + MARGIN,
        },
        props,
      );
      const colour = d3.scaleSequential(d3.interpolateViridis).domain(props.domain);
      const grid = body.append("g").attr("transform", `translate(${LABEL_WIDTH},${LABEL_WIDTH})`);
      props.labels.forEach((label, i) => {
        grid
          .append("text")
          .attr("x", -6)
          .attr("y", i * CELL + CELL / 2 + 4)
          .attr("text-anchor", "end")
          .attr("font-size", 11)
          .attr("fill", PALETTE.text)
          .text(label);
        grid
          .append("text")
          .attr("transform", `translate(${i * CELL + CELL / 2 + 4},-6) rotate(-60)`)
          .attr("font-size", 11)
          .attr("fill", PALETTE.text)
          .text(label);
      });
      props.matrix.forEach((row, i) => {
        row.forEach((value, j) => {
          const cell = grid.append("g").attr("transform", `translate(${j * CELL},${i * CELL})`);
          cell
            .append("rect")
            .attr("class", "cell")
            .attr("width", CELL - 1)
            .attr("height", CELL - 1)
            .attr("fill", value === null ? PALETTE.panel : colour(value));
          cell
            .append("text")
            .attr("x", CELL / 2)
            .attr("y", CELL / 2 + 4)
            .attr("text-anchor", "middle")
            .attr("font-size", 10)
            // Dark text on viridis' bright end, light text on its dark end.
            .attr("fill", value !== null && value > (props.domain[0] + props.domain[1]) / 2 ? "#000" : "#fff")
            .text(value === null ? "–" : value.toFixed(2));
        });
      });
      drawColourBar(
        body,
        colour,
        { x: LABEL_WIDTH + side + 16, y: LABEL_WIDTH, height: side },
        props.colourLabel,
      );
    },
    destroy() {
      svg.remove();
    },
  };
}

/** A vertical colour bar with min/max ticks, shared by the heatmap and the patch-map charts. */
export function drawColourBar(
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
