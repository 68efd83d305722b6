"use client";

import { type KeyboardEvent, type ReactNode, useCallback, useEffect, useRef, useState } from "react";
import { arrowDirection, centralPoint, nextPoint } from "~/lib/viz/point-navigation";
import { BoxBrush } from "./box-brush";
import { LassoOverlay } from "./lasso-overlay";
import type { Rendering, ScatterEvents, ScatterProps, ScatterRenderer, Tool } from "./scatter-renderer";

interface ScatterPanelProps extends ScatterProps {
  tool: Tool;
  title: string;
  subtitle: string;
  renderer: Rendering;
  onSelect: ScatterEvents["onSelect"];
  onOpen: ScatterEvents["onOpen"];
  onFirstDraw: ScatterEvents["onFirstDraw"];
  /** What to show while the pointer is over point `index` (thumbnail and caption). */
  describePoint: (index: number) => ReactNode;
  /** Names drawn on the panel at a point each (cluster names at their clusters' central points). */
  labels: readonly PanelLabel[];
}

export interface PanelLabel {
  row: number;
  text: string;
  colour: string;
}

/** One small multiple: a WebGL scatter plot with its title, projection quality, hover card, lasso and box tools. */
export function ScatterPanel(props: ScatterPanelProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const plotRef = useRef<ScatterRenderer | null>(null);
  const [hover, setHover] = useState<{ index: number; x: number; y: number } | null>(null);
  const [size, setSize] = useState(0);
  // Canvas positions of the labels' points, recomputed whenever the camera moves or points are redrawn.
  const [labelPositions, setLabelPositions] = useState<([number, number] | undefined)[]>([]);
  const labelsRef = useRef(props.labels);
  const placeLabels = useCallback(() => {
    const plot = plotRef.current;
    setLabelPositions(plot === null ? [] : labelsRef.current.map((label) => plot.screenPosition(label.row)));
  }, []);
  // The latest callbacks, read by the renderer's event handlers without re-creating the renderer.
  const eventsRef = useRef(props);
  eventsRef.current = props;
  const { renderer } = props;

  useEffect(() => {
    const canvas = canvasRef.current;
    if (canvas === null) return;
    const plot = new renderer.ScatterRenderer(canvas, renderer.shared, {
      onSelect: (indices) => eventsRef.current.onSelect(indices),
      onOpen: (index) => eventsRef.current.onOpen(index),
      onFirstDraw: () => eventsRef.current.onFirstDraw(),
      onHover: setHover,
      onView: placeLabels,
    });
    plotRef.current = plot;
    const observer = new ResizeObserver(([entry]) => setSize(entry?.contentRect.width ?? 0));
    observer.observe(canvas);
    // The lasso and box overlays take the pointer; the wheel still zooms the plot under them.
    const container = canvas.parentElement;
    const forwardWheel = (event: WheelEvent) => {
      if (event.target === canvas) return;
      event.preventDefault();
      canvas.dispatchEvent(new WheelEvent(event.type, event));
    };
    container?.addEventListener("wheel", forwardWheel, { passive: false });
    return () => {
      container?.removeEventListener("wheel", forwardWheel);
      observer.disconnect();
      plotRef.current = null;
      plot.destroy();
    };
  }, [renderer, placeLabels]);
  const { labels } = props;
  useEffect(() => {
    labelsRef.current = labels;
    placeLabels();
  }, [labels, placeLabels]);

  const { coords, codes, colours, selected, tool } = props;
  useEffect(() => {
    void plotRef.current?.update({ coords, codes, colours, selected });
  }, [coords, codes, colours, selected]);

  // Keyboard traversal: arrows move between points, Enter opens the point, Space adds it to or drops it from
  // the selection.
  const focusedRef = useRef<number | null>(null);
  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    const plot = plotRef.current;
    const current = focusedRef.current;
    const direction = arrowDirection(event.key);
    let target: number | null = null;
    if (direction !== null) {
      target = current === null ? centralPoint(coords) : nextPoint(coords, current, direction);
    } else if (event.key === "Enter" && current !== null) {
      props.onOpen(current);
    } else if (event.key === " " && current !== null) {
      props.onSelect(
        selected.includes(current)
          ? selected.filter((i) => i !== current)
          : Uint32Array.from([...selected, current]),
      );
    } else {
      return;
    }
    event.preventDefault();
    if (target !== null && plot !== null) {
      focusedRef.current = target;
      plot.focusPoint(target);
    }
  };

  return (
    <figure
      data-testid="projection-panel"
      data-source={props.title}
      data-points={codes.length}
      data-selected-count={selected.length}
      className="min-w-0 rounded-lg border border-line bg-panel p-2"
    >
      <figcaption className="mb-2 px-1">
        <div className="truncate font-medium text-sm" title={props.title}>
          {props.title}
        </div>
        <div className="truncate text-muted text-xs" title={props.subtitle}>
          {props.subtitle}
        </div>
      </figcaption>
      <div
        role="application"
        aria-roledescription="scatter plot"
        className="relative aspect-square w-full overflow-hidden rounded focus-visible:outline focus-visible:outline-2 focus-visible:outline-accent"
        // biome-ignore lint/a11y/noNoninteractiveTabindex: the plot is a keyboard widget (arrows, Enter, Space).
        tabIndex={0}
        onKeyDown={onKeyDown}
        onBlur={() => {
          focusedRef.current = null;
          setHover(null);
        }}
        data-testid="panel-keyboard"
        aria-label={`${props.title}: arrow keys move between points, Enter opens one, Space selects it`}
      >
        <canvas
          ref={canvasRef}
          className="block h-full w-full"
          aria-label={`${props.title}: ${codes.length} points, ${selected.length} selected`}
          role="img"
        />
        {labels.map((label, i) => {
          const at = labelPositions[i];
          if (at === undefined) return null;
          return (
            <span
              key={`${label.row}:${label.text}`}
              data-testid="cluster-label"
              className="pointer-events-none absolute max-w-40 -translate-x-1/2 -translate-y-1/2 truncate rounded bg-surface/80 px-1 text-xs"
              style={{ left: at[0], top: at[1], color: label.colour }}
            >
              {label.text}
            </span>
          );
        })}
        {tool === "lasso" ? (
          <LassoOverlay onLasso={(polygon) => plotRef.current?.selectPolygon(polygon)} />
        ) : null}
        {tool === "box" ? <BoxBrush size={size} onBox={(rect) => plotRef.current?.selectBox(rect)} /> : null}
        {hover !== null ? (
          <div
            aria-live="polite"
            data-testid="point-card"
            className="pointer-events-none absolute z-10 w-48 rounded border border-line bg-surface/95 p-2 text-xs shadow-lg"
            style={{
              left: Math.min(hover.x + 12, Math.max(0, size - 200)),
              top: Math.min(hover.y + 12, Math.max(0, size - 120)),
            }}
          >
            {props.describePoint(hover.index)}
          </div>
        ) : null}
      </div>
    </figure>
  );
}
