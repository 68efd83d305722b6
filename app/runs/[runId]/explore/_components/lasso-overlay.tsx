"use client";

import { type PointerEvent, useRef } from "react";

export type PixelPolygon = [number, number][];

// Pointer moves closer than this (px) to the loop's last point add nothing to its shape.
const MIN_STEP_PX = 2;

/**
 * The lasso as a 2-D overlay over a panel: the loop is an SVG path under the pointer, so a pointer move costs a
 * path redraw instead of a WebGL frame (software WebGL redraws every drawn point on each one). On release the loop
 * (canvas px) goes to `onLasso`. The overlay takes the pointer, so a loop that closes where it started is not a
 * click on the point there.
 */
export function LassoOverlay({ onLasso }: { onLasso: (polygon: PixelPolygon) => void }) {
  const pathRef = useRef<SVGPathElement>(null);
  const loop = useRef<{ points: PixelPolygon; left: number; top: number; d: string } | null>(null);
  const draw = (d: string) => pathRef.current?.setAttribute("d", d);

  const onPointerDown = (event: PointerEvent<SVGSVGElement>) => {
    if (event.button !== 0) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    const { left, top } = event.currentTarget.getBoundingClientRect();
    const [x, y] = [event.clientX - left, event.clientY - top];
    loop.current = { points: [[x, y]], left, top, d: `M${x} ${y}` };
    draw(loop.current.d);
  };
  const onPointerMove = (event: PointerEvent<SVGSVGElement>) => {
    const current = loop.current;
    if (current === null) return;
    const [x, y] = [event.clientX - current.left, event.clientY - current.top];
    const [lastX = x, lastY = y] = current.points.at(-1) ?? [];
    if (Math.hypot(x - lastX, y - lastY) < MIN_STEP_PX) return;
    current.points.push([x, y]);
    current.d += `L${x} ${y}`;
    draw(current.d);
  };
  const end = (isSelecting: boolean) => {
    const points = loop.current?.points ?? [];
    loop.current = null;
    draw("");
    if (isSelecting && points.length >= 3) onLasso(points);
  };

  return (
    <svg
      className="absolute inset-0 h-full w-full cursor-crosshair touch-none"
      aria-hidden="true"
      data-testid="lasso-overlay"
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={() => end(true)}
      onPointerCancel={() => end(false)}
      // The scatter plot hovers points on every mouse move over its canvas (window listeners): not during a loop.
      onMouseMove={(event) => {
        if (loop.current !== null) event.stopPropagation();
      }}
    >
      <path ref={pathRef} fill="#5eb1ff22" stroke="#5eb1ff" strokeWidth={1.5} strokeLinejoin="round" />
    </svg>
  );
}
