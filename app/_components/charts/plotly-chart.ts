import type { Config, Data, DownloadImgopts, Layout, PlotlyHTMLElement } from "plotly.js-dist-min";
import { FONT, PALETTE } from "./figure-frame";
import type { ChartRenderer } from "./use-chart";

type Plotly = typeof import("plotly.js-dist-min");

/** One plotly figure: its traces and layout (title, axes, legend); size in CSS pixels. */
export interface PlotlyFigureProps {
  title: string;
  subtitle: string;
  width: number;
  height: number;
  data: Data[];
  layout: Partial<Layout>;
}

// plotly.js is ~3.5 MB of script: it is fetched on the first figure's mount, never on pages without one and
// never by the server (the import runs only in a mounted component).
let plotly: Promise<Plotly> | null = null;
export function loadPlotly(): Promise<Plotly> {
  plotly ??= import("plotly.js-dist-min").then(
    (module) => ("default" in module ? module.default : module) as Plotly,
  );
  plotly.catch(() => {
    plotly = null;
  });
  return plotly;
}

// The modebar keeps zoom, pan, autoscale and the PNG download; exports with the dashboard's file names go
// through the figure's own buttons (ExportableFigure).
const CONFIG: Partial<Config> = {
  displaylogo: false,
  responsive: false,
  modeBarButtonsToRemove: ["select2d", "lasso2d", "toImage"],
};

/** The dashboard's dark frame around any figure's layout: title and subtitle, fonts, background, axes. */
export function framedLayout(props: PlotlyFigureProps): Partial<Layout> {
  const axis = { gridcolor: PALETTE.line, zerolinecolor: PALETTE.line, linecolor: PALETTE.line };
  return {
    width: props.width,
    height: props.height,
    paper_bgcolor: PALETTE.panel,
    plot_bgcolor: PALETTE.panel,
    font: { family: FONT, color: PALETTE.text, size: 11 },
    title: {
      text: `${props.title}<br><span style="font-size:11px;color:${PALETTE.muted}">${props.subtitle}</span>`,
      x: 0.01,
      xanchor: "left",
      font: { size: 15 },
    },
    margin: { t: 64, l: 60, r: 20, b: 48 },
    legend: { font: { size: 11 } },
    hoverlabel: { font: { family: FONT } },
    ...props.layout,
    xaxis: { ...axis, ...props.layout.xaxis },
    yaxis: { ...axis, ...props.layout.yaxis },
  };
}

/** The element plotly draws into; `on` subscribes to its events (plotly_click). */
export type PlotlyGraph = PlotlyHTMLElement & HTMLDivElement;

/**
 * A plotly graph element on `root`: each update runs `draw` with plotly.js and the latest props once the library
 * has loaded (never after destroy, so updates made while it loads collapse into one draw), then marks the graph
 * drawn; destroy purges plotly's state and removes the element.
 */
export function createPlotlyRenderer<P>(
  root: HTMLElement,
  draw: (library: Plotly, graph: PlotlyGraph, props: P) => Promise<void>,
): ChartRenderer<P> {
  const graph = document.createElement("div") as unknown as PlotlyGraph;
  graph.dataset.plotlyFigure = "";
  root.append(graph);
  let latest: P | null = null;
  let isDestroyed = false;
  const redraw = async () => {
    const library = await loadPlotly();
    const props = latest;
    if (isDestroyed || props === null) return;
    await draw(library, graph, props);
    graph.dataset.drawn = "true";
  };
  return {
    update(props) {
      latest = props;
      void redraw();
    },
    destroy() {
      isDestroyed = true;
      void loadPlotly().then((library) => library.purge(graph));
      graph.remove();
    },
  };
}

/** A plotly figure on `root` in the dashboard's frame, redrawn in place (Plotly.react) on update. */
export function createPlotlyChart(root: HTMLElement): ChartRenderer<PlotlyFigureProps> {
  return createPlotlyRenderer<PlotlyFigureProps>(root, async (library, graph, props) => {
    graph.dataset.title = props.title;
    await library.react(graph, props.data, framedLayout(props), CONFIG);
  });
}

/** Saves a drawn figure as PNG (at `scale`×) or SVG under `fileName` (no extension), title and legend included. */
export async function downloadPlotlyFigure(
  graph: HTMLElement,
  format: "png" | "svg",
  fileName: string,
  scale: number,
): Promise<void> {
  const library = await loadPlotly();
  const layout = (graph as PlotlyHTMLElement & { layout?: Partial<Layout> }).layout;
  // plotly.js reads `scale` (its typings omit it): PNG pixels per CSS pixel.
  const options: DownloadImgopts & { scale: number } = {
    format,
    filename: fileName,
    width: layout?.width ?? graph.clientWidth,
    height: layout?.height ?? graph.clientHeight,
    scale: format === "png" ? scale : 1,
  };
  await library.downloadImage(graph, options);
}
