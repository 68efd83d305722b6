"use client";

import { usePathname, useSearchParams } from "next/navigation";
import { useCallback } from "react";
import { type AlignmentState, parseAlignmentState, serializeAlignmentState } from "./alignment-state";
import { AlignmentView } from "./alignment-view";

/** The alignment view with its state in the URL (every change replaces the entry: nothing here is a "page"). */
export function AlignmentRoute({ runId }: { runId: string }) {
  const searchParams = useSearchParams();
  const pathname = usePathname();
  const onStateChange = useCallback(
    (patch: Partial<AlignmentState>) => {
      const current = parseAlignmentState(new URLSearchParams(window.location.search));
      const query = serializeAlignmentState({ ...current, ...patch }).toString();
      window.history.replaceState(null, "", query ? `${pathname}?${query}` : pathname);
    },
    [pathname],
  );
  return (
    <AlignmentView runId={runId} state={parseAlignmentState(searchParams)} onStateChange={onStateChange} />
  );
}
