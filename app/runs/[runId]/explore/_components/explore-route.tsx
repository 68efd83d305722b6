"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useCallback } from "react";
import { parseViewState, serializeViewState, type ViewState } from "~/lib/viz/view-state";
import { Explorer } from "./explorer";

// Changes that only refine what is on screen replace the history entry; the rest push one, so Back undoes them.
const REPLACING_FIELDS: readonly (keyof ViewState)[] = ["selection", "image", "colourBy"];

/** The explorer with its whole state in the URL: reload, bookmark and Back all keep the view. */
export function ExploreRoute({ runId }: { runId: string }) {
  const searchParams = useSearchParams();
  const pathname = usePathname();
  const state = parseViewState(searchParams);
  const onStateChange = useCallback(
    (patch: Partial<ViewState>) => {
      // Read the live URL, not a render's snapshot, so two quick changes both land.
      const current = parseViewState(new URLSearchParams(window.location.search));
      const query = serializeViewState({ ...current, ...patch }).toString();
      const url = query ? `${pathname}?${query}` : pathname;
      // Next.js syncs native history calls with useSearchParams, without a server round trip.
      const isReplacing = Object.keys(patch).every((key) =>
        REPLACING_FIELDS.includes(key as keyof ViewState),
      );
      if (isReplacing) window.history.replaceState(null, "", url);
      else window.history.pushState(null, "", url);
    },
    [pathname],
  );
  return <Explorer runId={runId} state={state} onStateChange={onStateChange} pins={null} />;
}
