"use client";

import type { Virtualizer } from "@tanstack/react-virtual";
import type { ReactNode } from "react";

/**
 * The rows a virtualizer has in view, each a grid row of `columns` items positioned absolutely inside a box of
 * the list's full height; rows are measured once drawn, so items may be of any height.
 */
export function VirtualGridRows<T, S extends Element | Window>({
  virtualizer,
  items,
  columns,
  gap,
  className,
  renderItem,
}: {
  virtualizer: Virtualizer<S, Element>;
  items: readonly T[];
  columns: number;
  gap: number;
  className?: string;
  renderItem: (item: T) => ReactNode;
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
          {items.slice(row.index * columns, (row.index + 1) * columns).map(renderItem)}
        </ul>
      ))}
    </div>
  );
}
