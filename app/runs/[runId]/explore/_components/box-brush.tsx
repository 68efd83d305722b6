"use client";

import { brush, select } from "d3";
import { useEffect, useRef } from "react";

type PixelRect = [[number, number], [number, number]];

// Drags shorter than this (px) are clicks, not boxes.
const MIN_BOX_PX = 3;

/** A d3 brush over a panel for box selection; reports the rectangle in pixels and clears itself. */
export function BoxBrush({ size, onBox }: { size: number; onBox: (rect: PixelRect) => void }) {
  const ref = useRef<SVGGElement>(null);
  const onBoxRef = useRef(onBox);
  onBoxRef.current = onBox;
  useEffect(() => {
    const group = ref.current;
    if (group === null || size === 0) return;
    const selection = select(group);
    const behaviour = brush<unknown>()
      .extent([
        [0, 0],
        [size, size],
      ])
      .on("end", (event: { selection: PixelRect | null; sourceEvent?: unknown }) => {
        // Clearing the brush below fires "end" again without a source event; ignore that one.
        if (event.selection === null || event.sourceEvent === undefined) return;
        const [[x0, y0], [x1, y1]] = event.selection;
        selection.call(behaviour.move, null);
        if (x1 - x0 >= MIN_BOX_PX && y1 - y0 >= MIN_BOX_PX) onBoxRef.current(event.selection);
      });
    selection.call(behaviour);
    return () => {
      selection.on(".brush", null).selectAll("*").remove();
    };
  }, [size]);
  return (
    <svg className="absolute inset-0 h-full w-full" aria-hidden="true">
      <g ref={ref} />
    </svg>
  );
}
