"use client";

import { useEffect, useState } from "react";
import type { Rendering } from "./scatter-renderer";

/**
 * The WebGL context every panel draws with, for the explorer's lifetime: panels come and go (modes, sources)
 * while it stays, so no panel outlives the context it draws with. Null until loaded in the browser.
 */
export function useSharedRendering(): Rendering | null {
  const [rendering, setRendering] = useState<Rendering | null>(null);
  useEffect(() => {
    // regl-scatterplot reads `window` when it loads: load it in the browser only, never during SSR.
    let isMounted = true;
    let created: Rendering | null = null;
    void import("./scatter-renderer").then(({ createRendering }) => {
      if (!isMounted) return;
      created = createRendering();
      setRendering(created);
    });
    return () => {
      isMounted = false;
      created?.shared.destroy();
    };
  }, []);
  return rendering;
}
