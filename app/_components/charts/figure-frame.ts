import * as d3 from "d3";

/**
 * The common frame of every exported figure: an SVG with explicit width/height (its CSS size; PNG export draws
 * it at 2×), a <title>, the dashboard's dark background, a title and a subtitle. Charts draw into `body`, whose
 * origin is below the header; what the screen shows is exactly what SVG and PNG export write.
 */

// Matches app/globals.css so exported figures look like the dashboard.
export const PALETTE = {
  background: "#0f1115",
  panel: "#161a21",
  line: "#262c36",
  text: "#e6e9ef",
  muted: "#8b95a5",
  accent: "#5eb1ff",
};
// Distinct series colours that read on the dark background (d3's Tableau 10).
export const SERIES_COLOURS = d3.schemeTableau10;
export const FONT = "ui-sans-serif, system-ui, sans-serif";
// Room for the title (16 px) and subtitle (11 px) lines above the chart body.
export const HEADER_HEIGHT = 44;
export const MARGIN = 12;

export interface FrameText {
  title: string;
  subtitle: string;
}

export type Selection<E extends Element> = d3.Selection<E, unknown, null, undefined>;

/** Creates the figure's <svg> inside `root` (a container div) with its title elements. */
export function createFrame(root: Element, label: string): Selection<SVGSVGElement> {
  const svg = d3
    .select(root)
    .append("svg")
    .attr("font-family", FONT)
    .attr("role", "img")
    .attr("data-figure", label);
  svg.append("title");
  svg.append("rect").attr("class", "frame-background").attr("fill", PALETTE.background);
  svg.append("text").attr("class", "frame-title").attr("font-size", 14).attr("font-weight", 600);
  svg.append("text").attr("class", "frame-subtitle").attr("font-size", 11).attr("fill", PALETTE.muted);
  svg.append("g").attr("class", "frame-body").attr("transform", `translate(${MARGIN},${HEADER_HEIGHT})`);
  return svg;
}

/** Sizes the frame and writes its texts; returns the body group (cleared) to draw into. */
export function layoutFrame(
  svg: Selection<SVGSVGElement>,
  size: { width: number; height: number },
  text: FrameText,
): Selection<SVGGElement> {
  const width = Math.round(size.width);
  const height = Math.round(size.height);
  svg.attr("width", width).attr("height", height).attr("viewBox", `0 0 ${width} ${height}`);
  svg.select("title").text(text.subtitle ? `${text.title} — ${text.subtitle}` : text.title);
  svg.select(".frame-background").attr("width", width).attr("height", height);
  svg
    .select(".frame-title")
    .attr("x", MARGIN)
    .attr("y", MARGIN + 12)
    .attr("fill", PALETTE.text)
    .text(text.title);
  svg
    .select(".frame-subtitle")
    .attr("x", MARGIN)
    .attr("y", MARGIN + 27)
    .text(text.subtitle);
  const body = svg.select<SVGGElement>(".frame-body");
  body.selectAll("*").remove();
  return body;
}

/** A colour legend (swatch + label per row) at the body's (x, y). */
export function drawLegend(
  body: Selection<SVGGElement>,
  entries: readonly { label: string; colour: string; isDashed?: boolean }[],
  at: { x: number; y: number },
): void {
  const legend = body.append("g").attr("class", "legend").attr("transform", `translate(${at.x},${at.y})`);
  entries.forEach((entry, i) => {
    const row = legend.append("g").attr("transform", `translate(0,${i * 16})`);
    row
      .append("line")
      .attr("x1", 0)
      .attr("x2", 16)
      .attr("y1", 0)
      .attr("y2", 0)
      .attr("stroke", entry.colour)
      .attr("stroke-width", 3)
      .attr("stroke-dasharray", entry.isDashed ? "4 3" : null);
    row
      .append("text")
      .attr("x", 22)
      .attr("y", 4)
      .attr("font-size", 11)
      .attr("fill", PALETTE.text)
      .text(entry.label);
  });
}
