"use client";

import { type RefObject, useEffect, useRef } from "react";

/** An imperative renderer: made once on a root element, updated with new props, destroyed on unmount. */
export interface ChartRenderer<P> {
  update(props: P): void;
  destroy(): void;
}

/**
 * Mounts `create` on the returned ref's element once, calls `update(props)` whenever props change (by identity)
 * and `destroy()` on unmount, so d3 owns the chart's DOM and React owns only its container.
 */
export function useChart<P>(
  create: (root: HTMLDivElement) => ChartRenderer<P>,
  props: P,
): RefObject<HTMLDivElement | null> {
  const root = useRef<HTMLDivElement>(null);
  const renderer = useRef<ChartRenderer<P> | null>(null);
  const createRef = useRef(create);
  useEffect(() => {
    if (root.current === null) return;
    renderer.current = createRef.current(root.current);
    return () => {
      renderer.current?.destroy();
      renderer.current = null;
    };
  }, []);
  useEffect(() => {
    renderer.current?.update(props);
  }, [props]);
  return root;
}
