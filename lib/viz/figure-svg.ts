import type { LegendEntry } from "./categories";

/**
 * Publication figures as standalone SVG: a title, one square panel per projection (points in clip-space
 * coordinates, as the explorer draws them) with its own title and quality line, and a legend. The same SVG is
 * rasterised at 2× for PNG export, so both formats show exactly the same figure.
 */

export interface FigurePanel {
  title: string;
  /** e.g. the projection quality: "trustworthiness 0.93 · 10-NN recall 0.41". */
  subtitle: string;
  /** [n, 2] in [-1, 1]², y up. */
  coords: Float32Array;
  /** Each point's legend index. */
  codes: Uint16Array;
  /** Highlighted points (indices into this panel); when given, the others are faded. */
  selected: ReadonlySet<number> | null;
}

export interface FigureSpec {
  title: string;
  subtitle: string;
  panels: FigurePanel[];
  legendTitle: string;
  legend: LegendEntry[];
}

export interface Figure {
  svg: string;
  width: number;
  height: number;
}

// Sizes in CSS pixels (1× PNG); chosen so four panels fit a slide and the text stays legible at 100 %.
const PANEL = 300;
const GAP = 20;
const MARGIN = 24;
const HEADER = 56;
const PANEL_TITLE = 34;
const LEGEND_WIDTH = 220;
const LEGEND_ROW = 18;
const MAX_COLUMNS = 4;
// Matches the app's dark palette (app/globals.css) so exported figures look like the dashboard.
const BACKGROUND = "#0f1115";
const PANEL_FILL = "#161a21";
const LINE = "#262c36";
const TEXT = "#e6e9ef";
const MUTED = "#8b95a5";
const FADED_OPACITY = 0.12;
// Characters of a panel title that fit its width at 14 px; longer ones end in "…" instead of running on.
const MAX_TITLE_CHARS = 38;

export function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function truncate(text: string): string {
  return text.length > MAX_TITLE_CHARS ? `${text.slice(0, MAX_TITLE_CHARS - 1)}…` : text;
}

/** Point radius shrinks with the point count so dense layouts stay readable (px, at 1×). */
export function pointRadius(n: number): number {
  return Math.max(0.6, Math.min(3, 60 / Math.sqrt(Math.max(n, 1))));
}

function panelMarkup(panel: FigurePanel, x: number, y: number, spec: FigureSpec): string {
  const n = panel.codes.length;
  const r = pointRadius(n).toFixed(2);
  const half = PANEL / 2;
  // Faded points first, then highlighted ones on top; within each, one group per legend colour.
  const layers: string[] = [];
  for (const isSelectedLayer of panel.selected === null ? [true] : [false, true]) {
    const byCode = new Map<number, string[]>();
    for (let i = 0; i < n; i++) {
      if (panel.selected !== null && panel.selected.has(i) !== isSelectedLayer) continue;
      const px = half + (panel.coords[2 * i] as number) * half;
      const py = half - (panel.coords[2 * i + 1] as number) * half;
      if (!Number.isFinite(px) || !Number.isFinite(py)) continue;
      const code = panel.codes[i] as number;
      const circles = byCode.get(code) ?? [];
      byCode.set(code, circles);
      circles.push(`<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="${r}"/>`);
    }
    const opacity = isSelectedLayer ? 0.9 : FADED_OPACITY;
    for (const [code, circles] of byCode) {
      const colour = spec.legend[code]?.colour ?? MUTED;
      layers.push(`<g fill="${colour}" fill-opacity="${opacity}">${circles.join("")}</g>`);
    }
  }
  return [
    `<g transform="translate(${x},${y})"><title>${escapeXml(panel.title)}</title>`,
    `<text x="0" y="14" font-size="14" font-weight="600" fill="${TEXT}">${escapeXml(truncate(panel.title))}</text>`,
    `<text x="0" y="29" font-size="11" fill="${MUTED}">${escapeXml(panel.subtitle)}</text>`,
    `<g transform="translate(0,${PANEL_TITLE})">`,
    `<rect width="${PANEL}" height="${PANEL}" fill="${PANEL_FILL}" stroke="${LINE}"/>`,
    `<clipPath id="clip-${x}-${y}"><rect width="${PANEL}" height="${PANEL}"/></clipPath>`,
    `<g clip-path="url(#clip-${x}-${y})">${layers.join("")}</g>`,
    "</g></g>",
  ].join("");
}

function legendMarkup(spec: FigureSpec, x: number, y: number): string {
  const rows = spec.legend.map((entry, i) => {
    const rowY = 26 + i * LEGEND_ROW;
    return (
      `<circle cx="6" cy="${rowY - 4}" r="5" fill="${entry.colour}"/>` +
      `<text x="18" y="${rowY}" font-size="12" fill="${TEXT}">${escapeXml(entry.label)} ` +
      `<tspan fill="${MUTED}">(${entry.count})</tspan></text>`
    );
  });
  return (
    `<g transform="translate(${x},${y})">` +
    `<text x="0" y="10" font-size="12" font-weight="600" fill="${MUTED}">${escapeXml(spec.legendTitle)}</text>` +
    `${rows.join("")}</g>`
  );
}

/** The whole figure as an SVG document string with its size in CSS pixels. */
export function buildFigureSvg(spec: FigureSpec): Figure {
  const columns = Math.max(1, Math.min(MAX_COLUMNS, spec.panels.length));
  const rows = Math.max(1, Math.ceil(spec.panels.length / columns));
  const gridWidth = columns * PANEL + (columns - 1) * GAP;
  const cellHeight = PANEL_TITLE + PANEL;
  const legendHeight = 26 + spec.legend.length * LEGEND_ROW;
  const width = MARGIN * 2 + gridWidth + GAP + LEGEND_WIDTH;
  const height = MARGIN * 2 + HEADER + Math.max(rows * cellHeight + (rows - 1) * GAP, legendHeight);
  const panels = spec.panels.map((panel, i) =>
    panelMarkup(
      panel,
      MARGIN + (i % columns) * (PANEL + GAP),
      MARGIN + HEADER + Math.floor(i / columns) * (cellHeight + GAP),
      spec,
    ),
  );
  const svg = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"`,
    ` font-family="ui-sans-serif, system-ui, sans-serif">`,
    `<rect width="${width}" height="${height}" fill="${BACKGROUND}"/>`,
    `<text x="${MARGIN}" y="${MARGIN + 18}" font-size="18" font-weight="600" fill="${TEXT}">${escapeXml(spec.title)}</text>`,
    `<text x="${MARGIN}" y="${MARGIN + 38}" font-size="12" fill="${MUTED}">${escapeXml(spec.subtitle)}</text>`,
    ...panels,
    legendMarkup(spec, MARGIN + gridWidth + GAP, MARGIN + HEADER),
    "</svg>",
  ].join("");
  return { svg, width, height };
}
