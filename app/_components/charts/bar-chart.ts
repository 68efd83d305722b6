import * as d3 from "d3";
import {
  createFrame,
  type FrameText,
  HEADER_HEIGHT,
  layoutFrame,
  MARGIN,
  PALETTE,
  styleAxis,
} from "./figure-frame";
import type { ChartRenderer } from "./use-chart";

export interface BarChartProps extends FrameText {
  width: number;
  /** One row per bar, top to bottom. */
  bars: readonly { label: string; value: number; colour: string }[];
  valueLabel: string;
  /** Vertical reference lines, e.g. the full concatenation's loss and chance. */
  references: readonly { label: string; value: number }[];
}

// Label column for source names like "concat − <DENSE_REGION_CAPTION>", bar thickness, room for the reference
// labels above the bars and the axis below them.
const LABEL_WIDTH = 210;
const ROW_HEIGHT = 24;
const REFERENCE_ROW = 12;
const AXIS_BOTTOM = 40;
const VALUE_ROOM = 48;
// Losses of ablations differ in the second or third decimal: the axis spans the values (padded by this share of
// their range) instead of starting at 0, so the differences show; the axis ticks say where it starts.
const DOMAIN_PADDING = 0.25;

/** Horizontal bars with value labels (leave-one-out ablations); its height follows the number of bars. */
export function createBarChart(root: HTMLElement): ChartRenderer<BarChartProps> {
  const svg = createFrame(root, "bar-chart");
  return {
    update(props) {
      const plotHeight = Math.max(1, props.bars.length) * ROW_HEIGHT;
      const plotTop = props.references.length * REFERENCE_ROW + 4;
      const body = layoutFrame(
        svg,
        { width: props.width, height: HEADER_HEIGHT + plotTop + plotHeight + AXIS_BOTTOM + MARGIN },
        props,
      );
      const plotWidth = props.width - 2 * MARGIN - LABEL_WIDTH - VALUE_ROOM;
      const values = [...props.bars.map((b) => b.value), ...props.references.map((r) => r.value)];
      const [low = 0, high = 1] = d3.extent(values.filter(Number.isFinite));
      const padding = (high - low || Math.abs(high) || 1) * DOMAIN_PADDING;
      const x = d3
        .scaleLinear()
        .domain([Math.max(0, low - padding), high + padding])
        .range([0, plotWidth]);
      const start = x.domain()[0] ?? 0;
      const y = d3
        .scaleBand()
        .domain(props.bars.map((b) => b.label))
        .range([0, plotHeight])
        .padding(0.2);
      const plot = body.append("g").attr("transform", `translate(${LABEL_WIDTH},${plotTop})`);
      for (const bar of props.bars) {
        const top = y(bar.label) ?? 0;
        plot
          .append("rect")
          .attr("class", "bar")
          .attr("y", top)
          .attr("width", Math.max(0, x(Number.isFinite(bar.value) ? bar.value : start)))
          .attr("height", y.bandwidth())
          .attr("fill", bar.colour);
        plot
          .append("text")
          .attr("x", -8)
          .attr("y", top + y.bandwidth() / 2 + 4)
          .attr("text-anchor", "end")
          .attr("font-size", 11)
          .attr("fill", PALETTE.text)
          .text(bar.label);
        plot
          .append("text")
          .attr("x", x(Number.isFinite(bar.value) ? bar.value : start) + 4)
          .attr("y", top + y.bandwidth() / 2 + 4)
          .attr("font-size", 10)
          .attr("fill", PALETTE.muted)
          .text(Number.isFinite(bar.value) ? bar.value.toFixed(3) : "n/a");
      }
      for (const [i, reference] of props.references.entries()) {
        const top = -plotTop + (i + 1) * REFERENCE_ROW;
        plot
          .append("line")
          .attr("x1", x(reference.value))
          .attr("x2", x(reference.value))
          .attr("y1", top)
          .attr("y2", plotHeight)
          .attr("stroke", PALETTE.muted)
          .attr("stroke-dasharray", "2 4");
        plot
          .append("text")
          .attr("x", x(reference.value) + 3)
          .attr("y", top)
          .attr("font-size", 10)
          .attr("fill", PALETTE.muted)
          .text(reference.label);
      }
      styleAxis(
        plot.append("g").attr("transform", `translate(0,${plotHeight})`).call(d3.axisBottom(x).ticks(5)),
      );
      body
        .append("text")
        .attr("x", 0)
        .attr("y", plotTop + plotHeight + 30)
        .attr("font-size", 11)
        .attr("fill", PALETTE.muted)
        .text(props.valueLabel);
    },
    destroy() {
      svg.remove();
    },
  };
}
