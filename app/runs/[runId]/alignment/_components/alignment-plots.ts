import type { Data } from "plotly.js-dist-min";
import { PALETTE, SERIES_COLOURS } from "~/app/_components/charts/figure-frame";
import type { PlotlyFigureProps } from "~/app/_components/charts/plotly-chart";
import type { AlignmentViewProps } from "./alignment-view";

/** What the figures need of one alignment row (analysis.alignment). */
export interface PlottedRow {
  /** The row's name: its source, prefixed by its run's label when runs are compared. */
  label: string;
  steps: readonly number[];
  trainLoss: readonly number[];
  heldOutCurve: readonly number[];
  heldOutLoss: number;
  r1: number;
  r5: number;
}

type Curve = AlignmentViewProps["state"]["curve"];
type Text = { title: string; subtitle: string };

// Curve and bar figures: wide enough for 300 steps and a legend of source names.
const WIDE = { width: 820, height: 380 };
const colourAt = (i: number) => SERIES_COLOURS[i % SERIES_COLOURS.length] ?? PALETTE.text;

/** Loss against training step per source (held-out, training or both), with chance ln N as a dotted line. */
export function lossCurves(
  text: Text,
  rows: readonly PlottedRow[],
  curve: Curve,
  chance: number,
): PlotlyFigureProps {
  const data: Data[] = rows.flatMap((row, i) => {
    const colour = colourAt(i);
    const heldOut: Data = {
      type: "scatter",
      mode: "lines",
      name: curve === "both" ? `${row.label} (held-out)` : row.label,
      x: [...row.steps],
      y: [...row.heldOutCurve],
      line: { color: colour, width: 2 },
      hovertemplate: `${row.label}<br>step %{x}<br>held-out loss %{y:.4f}<extra></extra>`,
    };
    const train: Data = {
      type: "scatter",
      mode: "lines",
      name: curve === "both" ? `${row.label} (train)` : row.label,
      x: [...row.steps],
      y: [...row.trainLoss],
      line: { color: colour, width: 1.5, dash: "dash" },
      hovertemplate: `${row.label}<br>step %{x}<br>training loss %{y:.4f}<extra></extra>`,
    };
    return curve === "both" ? [heldOut, train] : [curve === "train" ? train : heldOut];
  });
  const steps = rows.flatMap((row) => row.steps);
  data.push({
    type: "scatter",
    mode: "lines",
    name: `chance (ln N = ${chance.toFixed(2)})`,
    x: [Math.min(...steps), Math.max(...steps)],
    y: [chance, chance],
    line: { color: PALETTE.muted, width: 1, dash: "dot" },
    hovertemplate: `chance ln N = ${chance.toFixed(4)}<extra></extra>`,
  });
  return {
    ...text,
    ...WIDE,
    data,
    layout: {
      xaxis: { title: { text: "training step" } },
      yaxis: { title: { text: "contrastive loss" } },
      hovermode: "closest",
    },
  };
}

/** Held-out loss of the full concatenation and of each leave-one-out ablation, with "all" and chance. */
export function ablationBars(text: Text, rows: readonly PlottedRow[], full: number | null, chance: number) {
  const references = [
    ...(full === null ? [] : [{ label: "all", value: full }]),
    { label: "chance", value: chance },
  ];
  return {
    ...text,
    width: WIDE.width,
    height: Math.max(240, 120 + 34 * rows.length),
    data: [
      {
        type: "bar",
        orientation: "h",
        name: "held-out loss",
        y: rows.map((r) => r.label),
        x: rows.map((r) => r.heldOutLoss),
        marker: { color: rows.map((_, i) => colourAt(i)) },
        customdata: rows.map((r) => (full === null ? Number.NaN : r.heldOutLoss - full)),
        hovertemplate: "%{y}<br>held-out loss %{x:.4f}<br>minus all: %{customdata:+.4f}<extra></extra>",
      },
    ],
    layout: {
      xaxis: { title: { text: "held-out contrastive loss" } },
      yaxis: { automargin: true, autorange: "reversed" },
      showlegend: false,
      shapes: references.map((r) => ({
        type: "line",
        xref: "x",
        yref: "paper",
        x0: r.value,
        x1: r.value,
        y0: 0,
        y1: 1,
        line: { color: PALETTE.muted, width: 1, dash: "dot" },
      })),
      annotations: references.map((r) => ({
        x: r.value,
        y: 1,
        xref: "x",
        yref: "paper",
        yanchor: "bottom",
        text: `${r.label} ${r.value.toFixed(3)}`,
        showarrow: false,
        font: { color: PALETTE.muted, size: 10 },
      })),
    },
  } satisfies PlotlyFigureProps;
}

/** Linear CKA between every pair of sources and the caption features (null cells stay blank). */
export function ckaHeatmap(
  text: Text,
  labels: readonly string[],
  matrix: readonly (readonly (number | null)[])[],
) {
  const side = Math.max(360, 140 + 44 * labels.length);
  return {
    ...text,
    width: side + 240,
    height: side,
    data: [
      {
        type: "heatmap",
        x: [...labels],
        y: [...labels],
        z: matrix.map((row) => [...row]),
        zmin: 0,
        zmax: 1,
        colorscale: "Viridis",
        colorbar: { title: { text: "CKA" } },
        hovertemplate: "%{y} · %{x}<br>CKA %{z:.3f}<extra></extra>",
        texttemplate: "%{z:.2f}",
      },
    ],
    layout: {
      xaxis: { automargin: true, tickangle: -30 },
      yaxis: { automargin: true, autorange: "reversed" },
    },
  } satisfies PlotlyFigureProps;
}

// The recalls the bar figure groups per source: the row's field and its legend name.
const RECALLS = [
  { key: "r1", name: "R@1" },
  { key: "r5", name: "R@5" },
] as const;

/** Held-out image→text recall at 1 and 5 per source, grouped bars, best loss first. */
export function retrievalBars(text: Text, rows: readonly PlottedRow[]) {
  const sorted = [...rows].sort((a, b) => a.heldOutLoss - b.heldOutLoss);
  const sources = sorted.map((r) => r.label);
  return {
    ...text,
    ...WIDE,
    data: RECALLS.map(
      ({ key, name }, i): Data => ({
        type: "bar",
        name,
        x: sources,
        y: sorted.map((r) => r[key]),
        marker: { color: colourAt(i) },
        hovertemplate: `%{x}<br>${name} %{y:.1%}<extra></extra>`,
      }),
    ),
    layout: {
      barmode: "group",
      xaxis: { automargin: true, tickangle: -30 },
      yaxis: { title: { text: "held-out recall" }, tickformat: ".0%", range: [0, 1] },
    },
  } satisfies PlotlyFigureProps;
}
