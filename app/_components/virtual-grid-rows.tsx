"use client";

import type { Virtualizer } from "@tanstack/react-virtual";
import type { ReactNode } from "react";

/**
 * The rows a virtualizer has in view, each a grid row of `columns` of the list's `count` items positioned
 * absolutely inside a box of the list's full height; rows are measured once drawn, so items may be of any height.
 * Items are drawn by position, so a list of a million needs no array of a million.
 */
export function VirtualGridRows<S extends Element | Window>({
  virtualizer,
  count,
  columns,
  gap,
  className,
  renderItem,
}: {
  virtualizer: Virtualizer<S, Element>;
  count: number;
  columns: number;
  gap: number;
  className?: string;
  /** The item at `position` (0..count-1). */
  renderItem: (position: number) => ReactNode;
}) {
  return (
    <div className="relative w-full" style={{ height: virtualizer.getTotalSize() }}>
      {virtualizer.getVirtualItems().map((row) => (
        <ul
          key={row.key}
          data-index={row.index}
          ref={virtualizer.measureElement}
          className={`absolute top-0 left-0 grid w-full items-start ${className ?? ""}`}
          style={{
            gap,
            gridTemplateColumns: `repeat(${columns}, minmax(0, 1fr))`,
            transform: `translateY(${row.start - virtualizer.options.scrollMargin}px)`,
          }}
        >
          {positionsOfRow(row.index, columns, count).map(renderItem)}
        </ul>
      ))}
    </div>
  );
}

function positionsOfRow(row: number, columns: number, count: number): number[] {
  const positions: number[] = [];
  for (let position = row * columns; position < Math.min(count, (row + 1) * columns); position++)
    positions.push(position);
  return positions;
}
