"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useCallback } from "react";
import type { UrlStateCodec } from "~/lib/viz/url-state";

/**
 * A page's state kept in its URL (reload, bookmark and Back keep the view): the current state, and a setter that
 * merges a patch into the live URL. Changes touching only `replacingFields` (refinements of what is on screen)
 * replace the history entry; the rest push one, so Back undoes them. "all" makes every change a replace.
 */
export function useUrlState<S extends object>(
  codec: UrlStateCodec<S>,
  replacingFields: readonly (keyof S)[] | "all",
): [S, (patch: Partial<S>) => void] {
  const searchParams = useSearchParams();
  const pathname = usePathname();
  const setState = useCallback(
    (patch: Partial<S>) => {
      // Read the live URL, not a render's snapshot, so two quick changes both land.
      const current = codec.parse(new URLSearchParams(window.location.search));
      const query = codec.serialize({ ...current, ...patch }).toString();
      const url = query ? `${pathname}?${query}` : pathname;
      // Next.js syncs native history calls with useSearchParams, without a server round trip.
      const isReplacing =
        replacingFields === "all" ||
        Object.keys(patch).every((key) => (replacingFields as readonly PropertyKey[]).includes(key));
      if (isReplacing) window.history.replaceState(null, "", url);
      else window.history.pushState(null, "", url);
    },
    [codec, pathname, replacingFields],
  );
  return [codec.parse(searchParams), setState];
}
