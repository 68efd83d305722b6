import { scaleLinear } from "d3";
import createScatterplot, { createRenderer } from "regl-scatterplot";
import { pointRadius } from "~/lib/viz/figure-svg";
import { pointsInPolygon } from "~/lib/viz/lasso";
import { FULL_VIEW, levelOfDetail, type ViewBox } from "~/lib/viz/level-of-detail";

/**
 * Why regl-scatterplot: it draws points as WebGL point sprites from float textures, so one draw call renders
 * millions of points at interactive frame rates (plotly's scattergl stalls around 100,000), and it ships what the
 * explorer needs on top: hover ray-casting through a KD-tree, programmatic selection for linking panels, and d3
 * scales for overlays. Many panels share one WebGL context (`createRenderer`), so nine small multiples stay well
 * under the browser's limit of ~16 contexts.
 *
 * Past `DRAW_BUDGET` points a panel draws a density-aware subsample (lib/viz/level-of-detail.ts) of what is in
 * view, refined when the camera stops: software WebGL redraws every drawn point on each frame. The lasso and box
 * are 2-D overlays (lasso-overlay.tsx, box-brush.tsx), not regl-scatterplot's lasso, so drawing a loop redraws no
 * points; they select among all points (lib/viz/lasso.ts on the panel's typed coordinates).
 */

type SharedRenderer = ReturnType<typeof createRenderer>;
export type Tool = "pan" | "lasso" | "box";

export interface ScatterProps {
  /** [n, 2] in [-1, 1]². */
  coords: Float32Array;
  /** Each point's legend index. */
  codes: Uint16Array;
  colours: string[];
  /** Panel-local indices of the selected points, sorted. */
  selected: Uint32Array;
}

export interface ScatterEvents {
  /** A lasso or box in this panel selected these panel-local indices (empty = cleared). */
  onSelect: (indices: Uint32Array) => void;
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
// Outlines mark selected points; past this many points they merge into a blob, so they get thinner.
const DENSE_POINTS = 10_000;
const BACKGROUND = "#161a21";
const SELECTED_COLOUR = "#ffffff";
// The most points a panel draws at once, and how long the camera rests before the drawn points are refined.
export const DRAW_BUDGET = 60_000;
const REFINE_AFTER_MS = 200;
// The drawn view reaches this far past the visible one (fraction of its size), so a short pan shows points.
const VIEW_MARGIN = 0.25;

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
  private isDestroyed = false;
  private hasDrawn = false;
  /** The rows drawn (all of them up to the budget) and each row's index among them (-1: not drawn). */
  private drawn: Uint32Array = new Uint32Array(0);
  private drawnIndexOf = new Int32Array(0);
  private refineTimer: ReturnType<typeof setTimeout> | undefined;
  private selectionFrame = 0;
  /** The view the drawn level of detail is for, so a camera that comes back to rest there draws nothing new. */
  private drawnView = "";

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
      // Escape is the explorer's (explorer.tsx): it must not clear the selection while closing the image viewer.
      deselectOnEscape: false,
      // d3 scales from [-1, 1] to canvas pixels, kept in step with the camera (the box tool inverts them).
      xScale: scaleLinear().domain([-1, 1]),
      yScale: scaleLinear().domain([-1, 1]),
    });
    this.plot.subscribe("select", ({ points }) => this.handleSelect(points));
    this.plot.subscribe("deselect", () => this.events.onSelect(new Uint32Array(0)));
    this.plot.subscribe("pointOver", (index) => {
      const [x, y] = this.plot.getScreenPosition(index) ?? [0, 0];
      this.events.onHover({ index: this.drawn[index] ?? index, x, y });
    });
    this.plot.subscribe("pointOut", () => this.events.onHover(null));
    this.plot.subscribe("view", () => {
      this.events.onView();
      this.scheduleRefine();
    });
  }

  /** Where row `index` is on the canvas (CSS px), or undefined before the first draw. */
  screenPosition(index: number): [number, number] | undefined {
    const xScale = this.plot.get("xScale");
    const yScale = this.plot.get("yScale");
    const coords = this.props?.coords;
    if (!this.hasDrawn || xScale === null || yScale === null || coords === undefined) return undefined;
    return [xScale(coords[2 * index] as number), yScale(coords[2 * index + 1] as number)];
  }

  /** A click on a point selects it in regl-scatterplot: here it opens the point and keeps the current selection. */
  private handleSelect(points: number[]): void {
    const [clicked] = points;
    if (clicked !== undefined) this.events.onOpen(this.drawn[clicked] ?? clicked);
    this.showSelection({ preventEvent: true });
  }

  /** The selected rows that are drawn, as regl-scatterplot's indices. */
  private drawnSelection(): number[] {
    const selected = this.props?.selected ?? new Uint32Array(0);
    const out: number[] = [];
    for (const row of selected) {
      const index = this.drawnIndexOf[row] ?? -1;
      if (index >= 0) out.push(index);
    }
    return out;
  }

  private showSelection(options: { preventEvent: boolean }): void {
    const next = this.drawnSelection();
    // Selecting what is already selected (a click's point kept) would cost a redraw.
    const current = this.plot.get("selectedPoints") as number[];
    if (current.length === next.length) {
      const isSelected = new Uint8Array(this.drawn.length);
      for (const index of current) isSelected[index] = 1;
      if (next.every((index) => isSelected[index] === 1)) return;
    }
    this.plot.select(next, options);
  }

  /**
   * A new selection is highlighted once the browser has painted what came with it (the count, the gallery): under
   * software WebGL the frame that highlights it takes a few hundred milliseconds and would hold that paint back.
   */
  private showSelectionAfterPaint(): void {
    cancelAnimationFrame(this.selectionFrame);
    // A frame callback runs just before a paint; a task queued from it runs after that paint.
    this.selectionFrame = requestAnimationFrame(() =>
      setTimeout(() => {
        if (!this.isDestroyed) this.showSelection({ preventEvent: true });
      }),
    );
  }

  async update(next: ScatterProps): Promise<void> {
    // Updates await the renderer; one may still be on its way when the panel goes.
    if (this.isDestroyed) return;
    const previous = this.props;
    this.props = next;
    const isNewData = previous?.coords !== next.coords || previous?.codes !== next.codes;
    const settings: Parameters<typeof this.plot.set>[0] = {};
    // With colours per category, regl-scatterplot indexes the selected and hovered colours by category too: they
    // need one entry per category (a single colour leaves selected points in their category colour).
    if (previous?.colours !== next.colours)
      Object.assign(settings, {
        pointColor: next.colours,
        pointColorActive: next.colours.map(() => SELECTED_COLOUR),
        pointColorHover: next.colours.map(() => SELECTED_COLOUR),
        colorBy: "valueA",
      });
    if (Object.keys(settings).length > 0) await this.plot.set(settings);
    if (this.isDestroyed) return;
    if (!isNewData) {
      if (previous?.selected !== next.selected) this.showSelectionAfterPaint();
      return;
    }
    const view = this.visibleView();
    this.drawnView = JSON.stringify(view);
    await this.drawRows(levelOfDetail(next.coords, DRAW_BUDGET, view));
    if (this.isDestroyed) return;
    const isFirstDraw = !this.hasDrawn;
    this.hasDrawn = true;
    this.events.onView();
    if (isFirstDraw) this.events.onFirstDraw();
  }

  /** Draws these rows of the current props (keeping the camera) and shows the selection among them. */
  private async drawRows(rows: Uint32Array): Promise<void> {
    const props = this.props;
    if (props === null) return;
    const n = props.codes.length;
    const m = rows.length;
    const x = new Float32Array(m);
    const y = new Float32Array(m);
    const valueA = new Float32Array(m);
    const drawnIndexOf = new Int32Array(n).fill(-1);
    for (let i = 0; i < m; i++) {
      const row = rows[i] as number;
      x[i] = props.coords[2 * row] as number;
      y[i] = props.coords[2 * row + 1] as number;
      valueA[i] = props.codes[row] as number;
      drawnIndexOf[row] = i;
    }
    this.drawn = rows;
    this.drawnIndexOf = drawnIndexOf;
    // The same size as exported figures' points, so the screen and the figure read alike.
    await this.plot.set({ pointSize: 2 * pointRadius(m), pointOutlineWidth: m > DENSE_POINTS ? 1 : 2 });
    if (this.isDestroyed) return;
    await this.plot.draw(
      { x, y, valueA },
      {
        zDataType: "categorical",
        select: this.drawnSelection(),
        transition: false,
        preventFilterReset: true,
      },
    );
  }

  /** Once the camera rests, draws the level of detail of what is in view (only panels over the budget). */
  private scheduleRefine(): void {
    const props = this.props;
    if (props === null || props.codes.length <= DRAW_BUDGET) return;
    clearTimeout(this.refineTimer);
    this.refineTimer = setTimeout(() => {
      if (this.isDestroyed || this.props !== props) return;
      const view = this.visibleView();
      const key = JSON.stringify(view);
      if (key === this.drawnView) return;
      this.drawnView = key;
      void this.drawRows(levelOfDetail(props.coords, DRAW_BUDGET, view));
    }, REFINE_AFTER_MS);
  }

  private visibleView(): ViewBox {
    const xScale = this.plot.get("xScale");
    const yScale = this.plot.get("yScale");
    if (xScale === null || yScale === null) return FULL_VIEW;
    const [x0, x1] = xScale.domain() as [number, number];
    const [y0, y1] = yScale.domain() as [number, number];
    const marginX = VIEW_MARGIN * Math.abs(x1 - x0);
    const marginY = VIEW_MARGIN * Math.abs(y1 - y0);
    return {
      minX: Math.min(x0, x1) - marginX,
      maxX: Math.max(x0, x1) + marginX,
      minY: Math.min(y0, y1) - marginY,
      maxY: Math.max(y0, y1) + marginY,
    };
  }

  /** Hovers row `index` from the keyboard: the reticle shows it and the hover card opens as for the pointer. */
  focusPoint(index: number): void {
    const drawnIndex = this.drawnIndexOf[index] ?? -1;
    if (drawnIndex >= 0) this.plot.hover(drawnIndex, { showReticleOnce: true });
  }

  /** Selects every point of the panel inside a polygon given in canvas pixels (the lasso tool). */
  selectPolygon(pixels: readonly (readonly [number, number])[]): void {
    const xScale = this.plot.get("xScale");
    const yScale = this.plot.get("yScale");
    if (xScale === null || yScale === null || this.props === null) return;
    const polygon = pixels.map(([x, y]) => [xScale.invert(x), yScale.invert(y)] as const);
    this.events.onSelect(pointsInPolygon(this.props.coords, polygon));
  }

  /** Selects the points inside a rectangle given in canvas pixels (the box tool). */
  selectBox([[left, top], [right, bottom]]: [[number, number], [number, number]]): void {
    this.selectPolygon([
      [left, top],
      [right, top],
      [right, bottom],
      [left, bottom],
    ]);
  }

  destroy(): void {
    this.isDestroyed = true;
    clearTimeout(this.refineTimer);
    cancelAnimationFrame(this.selectionFrame);
    this.plot.destroy();
  }
}
