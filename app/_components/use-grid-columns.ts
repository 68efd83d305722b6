"use client";

import { type RefObject, useEffect, useState } from "react";

/**
 * How many columns of at least `minWidth` px (with `gap` px between them) fit the element's width, kept up to
 * date as it resizes. Virtualised grids lay out one row of this many items per virtual row.
 */
export function useGridColumns(ref: RefObject<HTMLElement | null>, minWidth: number, gap: number): number {
  const [columns, setColumns] = useState(1);
  useEffect(() => {
    const element = ref.current;
    if (element === null) return;
    const observer = new ResizeObserver(([entry]) => {
      const width = entry?.contentRect.width ?? 0;
      setColumns(Math.max(1, Math.floor((width + gap) / (minWidth + gap))));
    });
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref, minWidth, gap]);
  return columns;
}
