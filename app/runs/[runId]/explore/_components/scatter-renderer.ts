import { scaleLinear } from "d3";
import createScatterplot, { createRenderer } from "regl-scatterplot";
import { pointRadius } from "~/lib/viz/figure-svg";

/**
 * Why regl-scatterplot: it draws points as WebGL point sprites from float textures, so one draw call renders
 * millions of points at interactive frame rates (plotly's scattergl stalls around 100,000), and it ships what the
 * explorer needs on top: a lasso, hover ray-casting through a KD-tree, programmatic selection for linking
 * panels, and d3 scales for overlays. Many panels share one WebGL context (`createRenderer`), so nine
 * small multiples stay well under the browser's limit of ~16 contexts.
 */

type SharedRenderer = ReturnType<typeof createRenderer>;
export type Tool = "pan" | "lasso" | "box";

export interface ScatterProps {
  /** [n, 2] in [-1, 1]². */
  coords: Float32Array;
  /** Each point's legend index. */
  codes: Uint16Array;
  colours: string[];
  /** Panel-local indices of the selected points. */
  selected: number[];
  tool: Tool;
}

export interface ScatterEvents {
  /** A lasso or box in this panel selected these panel-local indices (empty = cleared). */
  onSelect: (indices: number[]) => void;
  /** The pointer is over a point (index and its position in the canvas, px), or over none. */
  onHover: (hover: { index: number; x: number; y: number } | null) => void;
  /** A point was clicked. */
  onOpen: (index: number) => void;
  /** The first frame with points is on screen. */
  onFirstDraw: () => void;
  /** The camera moved (pan, zoom) or new points were drawn: overlays anchored to points move with them. */
  onView: () => void;
}

// Unselected points keep a quarter of their opacity while something is selected: context stays visible.
const INACTIVE_OPACITY = 0.25;
// A lasso that closes where it started ends in a "click" on the point under the pointer; a click this soon after a
// lasso is that, not a request to open the point.
const CLICK_AFTER_LASSO_MS = 300;
// Outlines mark selected points; past this many points they merge into a blob, so they get thinner.
const DENSE_POINTS = 10_000;
const BACKGROUND = "#161a21";
const SELECTED_COLOUR = "#ffffff";

/** One WebGL context shared by every panel, and the class that draws a panel with it. */
export interface Rendering {
  shared: SharedRenderer;
  ScatterRenderer: typeof ScatterRenderer;
}

export function createRendering(): Rendering {
  return { shared: createRenderer(), ScatterRenderer };
}

/** An imperative WebGL scatter plot on `canvas`: create once, `update(props)` on every change, `destroy()`. */
export class ScatterRenderer {
  private readonly plot: ReturnType<typeof createScatterplot>;
  private props: ScatterProps | null = null;
  private isLassoing = false;
  private isDestroyed = false;
  private lassoEndedAt = -Infinity;
  private hasDrawn = false;

  constructor(
    canvas: HTMLCanvasElement,
    renderer: SharedRenderer,
    private readonly events: ScatterEvents,
  ) {
    this.plot = createScatterplot({
      renderer,
      canvas,
      backgroundColor: BACKGROUND,
      pointColorActive: SELECTED_COLOUR,
      pointColorHover: SELECTED_COLOUR,
      opacityInactiveScale: INACTIVE_OPACITY,
      lassoColor: "#5eb1ff",
      lassoInitiator: false,
      // Escape is the explorer's (explorer.tsx): it must not clear the selection while closing the image viewer.
      deselectOnEscape: false,
      // d3 scales from [-1, 1] to canvas pixels, kept in step with the camera (the box tool inverts them).
      xScale: scaleLinear().domain([-1, 1]),
      yScale: scaleLinear().domain([-1, 1]),
    });
    this.plot.subscribe("lassoStart", () => {
      this.isLassoing = true;
    });
    this.plot.subscribe("select", ({ points }) => this.handleSelect(points));
    // A lasso that selects what was already selected publishes no "select"; end the lasso state here too.
    this.plot.subscribe("lassoEnd", () => {
      this.isLassoing = false;
      this.lassoEndedAt = performance.now();
    });
    this.plot.subscribe("deselect", () => this.events.onSelect([]));
    this.plot.subscribe("pointOver", (index) => {
      const [x, y] = this.plot.getScreenPosition(index) ?? [0, 0];
      this.events.onHover({ index, x, y });
    });
    this.plot.subscribe("pointOut", () => this.events.onHover(null));
    this.plot.subscribe("view", () => this.events.onView());
  }

  /** Where point `index` is on the canvas (CSS px), or undefined before it is drawn. */
  screenPosition(index: number): [number, number] | undefined {
    // regl-scatterplot throws when asked before its first draw (a panel mounting with cluster labels).
    return this.hasDrawn ? this.plot.getScreenPosition(index) : undefined;
  }

  /** A lasso or box ends in a selection; a plain click on a point opens it and keeps the current selection. */
  private handleSelect(points: number[]): void {
    if (this.isLassoing) {
      this.isLassoing = false;
      this.events.onSelect(points);
      return;
    }
    const [clicked] = points;
    const isLassoClick = performance.now() - this.lassoEndedAt < CLICK_AFTER_LASSO_MS;
    if (clicked !== undefined && !isLassoClick) this.events.onOpen(clicked);
    this.plot.select(this.props?.selected ?? [], { preventEvent: true });
  }

  async update(next: ScatterProps): Promise<void> {
    // Updates await the renderer; one may still be on its way when the panel goes.
    if (this.isDestroyed) return;
    const previous = this.props;
    this.props = next;
    const n = next.codes.length;
    const isNewData = previous?.coords !== next.coords || previous?.codes !== next.codes;
    const settings: Parameters<typeof this.plot.set>[0] = {};
    if (previous?.tool !== next.tool) settings.mouseMode = next.tool === "lasso" ? "lasso" : "panZoom";
    // With colours per category, regl-scatterplot indexes the selected and hovered colours by category too: they
    // need one entry per category (a single colour leaves selected points in their category colour).
    if (previous?.colours !== next.colours)
      Object.assign(settings, {
        pointColor: next.colours,
        pointColorActive: next.colours.map(() => SELECTED_COLOUR),
        pointColorHover: next.colours.map(() => SELECTED_COLOUR),
        colorBy: "valueA",
      });
    // The same size as exported figures' points, so the screen and the figure read alike.
    if (isNewData)
      Object.assign(settings, { pointSize: 2 * pointRadius(n), pointOutlineWidth: n > DENSE_POINTS ? 1 : 2 });
    if (Object.keys(settings).length > 0) await this.plot.set(settings);
    if (this.isDestroyed) return;
    if (!isNewData) {
      if (previous?.selected !== next.selected) this.plot.select(next.selected, { preventEvent: true });
      return;
    }
    const x = new Float32Array(n);
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x[i] = next.coords[2 * i] as number;
      y[i] = next.coords[2 * i + 1] as number;
    }
    await this.plot.draw(
      { x, y, valueA: Float32Array.from(next.codes) },
      { zDataType: "categorical", select: next.selected, transition: false },
    );
    if (this.isDestroyed) return;
    const isFirstDraw = !this.hasDrawn;
    this.hasDrawn = true;
    this.events.onView();
    if (isFirstDraw) this.events.onFirstDraw();
  }

  /** Hovers point `index` from the keyboard: the reticle shows it and the hover card opens as for the pointer. */
  focusPoint(index: number): void {
    this.plot.hover(index, { showReticleOnce: true });
  }

  /** Selects the points inside a rectangle given in canvas pixels (the box tool). */
  selectBox([[left, top], [right, bottom]]: [[number, number], [number, number]]): void {
    const xScale = this.plot.get("xScale");
    const yScale = this.plot.get("yScale");
    if (xScale === null || yScale === null) return;
    const [x0, x1] = [xScale.invert(left), xScale.invert(right)];
    const [y0, y1] = [yScale.invert(top), yScale.invert(bottom)];
    this.isLassoing = true;
    this.plot.lassoSelect([
      [x0, y0],
      [x1, y0],
      [x1, y1],
      [x0, y1],
    ]);
  }

  destroy(): void {
    this.isDestroyed = true;
    this.plot.destroy();
  }
}
