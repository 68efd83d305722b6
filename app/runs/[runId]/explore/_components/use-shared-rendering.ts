"use client";

import { useEffect, useState } from "react";
import type { Rendering } from "./scatter-renderer";

// regl-scatterplot reads `window` when it loads: it loads in the browser only, never during SSR. Its code is the
// largest the first render waits for, so the browser starts loading it with this module, not once the explorer
// has hydrated and mounted.
const rendererModule = typeof window === "undefined" ? null : import("./scatter-renderer");

/**
 * The WebGL context every panel draws with, for the explorer's lifetime: panels come and go (modes, sources)
 * while it stays, so no panel outlives the context it draws with. Null until loaded in the browser.
 */
export function useSharedRendering(): Rendering | null {
  const [rendering, setRendering] = useState<Rendering | null>(null);
  useEffect(() => {
    let isMounted = true;
    let created: Rendering | null = null;
    void rendererModule?.then(({ createRendering }) => {
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
