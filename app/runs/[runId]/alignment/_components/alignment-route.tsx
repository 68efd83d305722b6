"use client";

import { useUrlState } from "~/app/_components/use-url-state";
import { alignmentStateCodec } from "./alignment-state";
import { AlignmentView } from "./alignment-view";

/** The alignment view with its state in the URL (every change replaces the entry: nothing here is a "page"). */
export function AlignmentRoute({ runId }: { runId: string }) {
  const [state, onStateChange] = useUrlState(alignmentStateCodec, "all");
  return <AlignmentView runId={runId} state={state} onStateChange={onStateChange} />;
}
