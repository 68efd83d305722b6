import type { Data } from "plotly.js-dist-min";
import { createPlotlyRenderer, framedLayout } from "~/app/_components/charts/plotly-chart";
import type { ChartRenderer } from "~/app/_components/charts/use-chart";

export interface Scatter3dProps {
  title: string;
  subtitle: string;
  /** [n, 3] */
  coords: Float32Array;
  /** Each row's legend colour. */
  colours: readonly string[];
  /** Each row's hover text. */
  hover: readonly string[];
  /** Rows of the shared selection, drawn white and larger; the rest fade while it is not empty. */
  selected: ReadonlySet<number>;
  /** A point was clicked. */
  onPick: (row: number) => void;
}

// The scene's size: square enough to turn, wide enough for the axis titles.
const SIZE = { width: 720, height: 560 };
const SELECTED_COLOUR = "#ffffff";
// Unselected points keep this opacity while something is selected (the 2D panels' context rule).
const INACTIVE_OPACITY = 0.25;

/** A plotly scatter3d of a source's 3D layout that shows and sets the explorer's selection. */
export function createScatter3d(root: HTMLElement): ChartRenderer<Scatter3dProps> {
  // The click handler is subscribed once and calls the latest draw's `onPick`.
  let onPick: ((row: number) => void) | null = null;
  return createPlotlyRenderer<Scatter3dProps>(root, async (plotly, graph, props) => {
    const n = props.coords.length / 3;
    const axis = (c: number) => Float32Array.from({ length: n }, (_, i) => props.coords[3 * i + c] ?? 0);
    const [xs, ys, zs] = [axis(0), axis(1), axis(2)];
    const rows = Array.from({ length: n }, (_, i) => i);
    const picked = rows.filter((i) => props.selected.has(i));
    const trace = (subset: number[], selected: boolean): Data => ({
      type: "scatter3d",
      mode: "markers",
      name: selected ? "selected" : "images",
      x: subset.map((i) => xs[i] ?? 0),
      y: subset.map((i) => ys[i] ?? 0),
      z: subset.map((i) => zs[i] ?? 0),
      customdata: subset,
      text: subset.map((i) => props.hover[i] ?? ""),
      hovertemplate: "%{text}<br>PC1 %{x:.3f} · PC2 %{y:.3f} · PC3 %{z:.3f}<extra></extra>",
      marker: {
        size: selected ? 5 : 3,
        color: selected ? SELECTED_COLOUR : subset.map((i) => props.colours[i] ?? SELECTED_COLOUR),
        opacity: selected || picked.length === 0 ? 1 : INACTIVE_OPACITY,
      },
    });
    const data = [trace(rows, false), ...(picked.length > 0 ? [trace(picked, true)] : [])];
    const layout = framedLayout({ ...props, ...SIZE, data, layout: {} });
    await plotly.react(
      graph,
      data,
      {
        ...layout,
        showlegend: false,
        margin: { t: 64, l: 0, r: 0, b: 0 },
        // The camera stays where the user turned it when the selection or colours change.
        uirevision: "scene",
        scene: {
          xaxis: { title: { text: "PC1" } },
          yaxis: { title: { text: "PC2" } },
          zaxis: { title: { text: "PC3" } },
        },
      },
      { displaylogo: false },
    );
    if (onPick === null) {
      graph.on("plotly_click", (event) => {
        const row = event.points[0]?.customdata;
        if (typeof row === "number") onPick?.(row);
      });
    }
    onPick = props.onPick;
    graph.dataset.points = String(n);
    graph.dataset.selected = String(picked.length);
  });
}
