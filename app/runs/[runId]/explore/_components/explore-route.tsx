"use client";

import { useUrlState } from "~/app/_components/use-url-state";
import { type ViewState, viewStateCodec } from "~/lib/viz/view-state";
import { Explorer } from "./explorer";

// Changes that only refine what is on screen replace the history entry; the rest push one, so Back undoes them.
const REPLACING_FIELDS: readonly (keyof ViewState)[] = ["selection", "image", "colourBy"];

/** The explorer with its whole state in the URL: reload, bookmark and Back all keep the view. */
export function ExploreRoute({ runId }: { runId: string }) {
  const [state, onStateChange] = useUrlState(viewStateCodec, REPLACING_FIELDS);
  return <Explorer runId={runId} state={state} onStateChange={onStateChange} pins={null} />;
}
