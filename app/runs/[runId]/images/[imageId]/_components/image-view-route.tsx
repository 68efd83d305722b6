"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useCallback } from "react";
import { ImageView } from "./image-view";
import { type ImageViewState, parseImageViewState, serializeImageViewState } from "./image-view-state";

// Sliders and picks refine what is on screen: they replace the history entry; other changes push one (Back undoes).
const REPLACING_FIELDS: readonly (keyof ImageViewState)[] = ["opacity", "threshold", "patch", "patchSource"];

/** The image view with its whole state in the URL. */
export function ImageViewRoute({ runId, imageId }: { runId: string; imageId: string }) {
  const searchParams = useSearchParams();
  const pathname = usePathname();
  const state = parseImageViewState(searchParams);
  const onStateChange = useCallback(
    (patch: Partial<ImageViewState>) => {
      // Read the live URL, not a render's snapshot, so two quick changes both land.
      const current = parseImageViewState(new URLSearchParams(window.location.search));
      const query = serializeImageViewState({ ...current, ...patch }).toString();
      const url = query ? `${pathname}?${query}` : pathname;
      // Next.js syncs native history calls with useSearchParams, without a server round trip.
      const isReplacing = Object.keys(patch).every((key) =>
        REPLACING_FIELDS.includes(key as keyof ImageViewState),
      );
      if (isReplacing) window.history.replaceState(null, "", url);
      else window.history.pushState(null, "", url);
    },
    [pathname],
  );
  return <ImageView runId={runId} imageId={imageId} state={state} onStateChange={onStateChange} />;
}
