import * as d3 from "d3";
import {
  createFrame,
  drawLegend,
  type FrameText,
  HEADER_HEIGHT,
  layoutFrame,
  MARGIN,
  PALETTE,
  styleAxis,
} from "./figure-frame";
import type { ChartRenderer } from "./use-chart";

export interface LineSeries {
  name: string;
  x: readonly number[];
  y: readonly number[];
  colour: string;
  isDashed?: boolean;
}

export interface LineChartProps extends FrameText {
  width: number;
  height: number;
  xLabel: string;
  yLabel: string;
  series: readonly LineSeries[];
  /** Horizontal reference lines, e.g. chance = ln N. */
  references: readonly { label: string; y: number }[];
}

// Room for the y axis' ticks and label, the x axis' ticks and label, the top tick's text and the legend column
// (wide enough for "breadth:<DENSE_REGION_CAPTION> (held-out)" at 11 px).
const AXIS_LEFT = 52;
const AXIS_BOTTOM = 36;
const PLOT_TOP = 10;
const LEGEND_WIDTH = 250;

/** Curves over a shared x axis (loss against training step) with a legend, in one exportable SVG. */
export function createLineChart(root: HTMLElement): ChartRenderer<LineChartProps> {
  const svg = createFrame(root, "line-chart");
  return {
    update(props) {
      const body = layoutFrame(svg, props, props);
      const plotWidth = props.width - 2 * MARGIN - AXIS_LEFT - LEGEND_WIDTH;
      const plotHeight = props.height - HEADER_HEIGHT - MARGIN - AXIS_BOTTOM - PLOT_TOP;
      const xs = props.series.flatMap((s) => s.x);
      const ys = [...props.series.flatMap((s) => s.y), ...props.references.map((r) => r.y)].filter(
        Number.isFinite,
      );
      const x = d3
        .scaleLinear()
        .domain(d3.extent(xs) as [number, number])
        .range([0, plotWidth]);
      const y = d3
        .scaleLinear()
        .domain(d3.extent(ys) as [number, number])
        .nice()
        .range([plotHeight, 0]);
      const plot = body.append("g").attr("transform", `translate(${AXIS_LEFT},${PLOT_TOP})`);
      styleAxis(
        plot.append("g").attr("transform", `translate(0,${plotHeight})`).call(d3.axisBottom(x).ticks(6)),
      );
      styleAxis(plot.append("g").call(d3.axisLeft(y).ticks(6)));
      plot
        .append("text")
        .attr("x", plotWidth / 2)
        .attr("y", plotHeight + 30)
        .attr("text-anchor", "middle")
        .attr("font-size", 11)
        .attr("fill", PALETTE.muted)
        .text(props.xLabel);
      plot
        .append("text")
        .attr("transform", `translate(${-40},${plotHeight / 2}) rotate(-90)`)
        .attr("text-anchor", "middle")
        .attr("font-size", 11)
        .attr("fill", PALETTE.muted)
        .text(props.yLabel);
      for (const reference of props.references) {
        plot
          .append("line")
          .attr("x1", 0)
          .attr("x2", plotWidth)
          .attr("y1", y(reference.y))
          .attr("y2", y(reference.y))
          .attr("stroke", PALETTE.muted)
          .attr("stroke-dasharray", "2 4");
        plot
          .append("text")
          .attr("x", plotWidth - 4)
          .attr("y", y(reference.y) - 4)
          .attr("text-anchor", "end")
          .attr("font-size", 10)
          .attr("fill", PALETTE.muted)
          .text(reference.label);
      }
      // Missing values (a diverged probe's NaN) break the line instead of dropping to an edge.
      const line = d3.line().defined(([, v]) => Number.isFinite(v));
      for (const series of props.series) {
        const points = series.x.map((xv, i) => [x(xv), y(series.y[i] ?? Number.NaN)] as [number, number]);
        plot
          .append("path")
          .attr("class", "series")
          .attr("fill", "none")
          .attr("stroke", series.colour)
          .attr("stroke-width", 1.8)
          .attr("stroke-dasharray", series.isDashed ? "5 3" : null)
          .attr("d", line(points) ?? "")
          .append("title")
          .text(series.name);
      }
      drawLegend(
        body,
        props.series.map((s) => ({ label: s.name, colour: s.colour, isDashed: s.isDashed })),
        { x: AXIS_LEFT + plotWidth + 16, y: PLOT_TOP + 6 },
      );
    },
    destroy() {
      svg.remove();
    },
  };
}
