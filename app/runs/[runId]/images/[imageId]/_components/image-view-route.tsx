"use client";

import { useUrlState } from "~/app/_components/use-url-state";
import { ImageView } from "./image-view";
import { type ImageViewState, imageViewStateCodec } from "./image-view-state";

// Sliders and picks refine what is on screen: they replace the history entry; other changes push one (Back undoes).
const REPLACING_FIELDS: readonly (keyof ImageViewState)[] = ["opacity", "threshold", "patch", "patchSource"];

/** The image view with its whole state in the URL. */
export function ImageViewRoute({ runId, imageId }: { runId: string; imageId: string }) {
  const [state, onStateChange] = useUrlState(imageViewStateCodec, REPLACING_FIELDS);
  return <ImageView runId={runId} imageId={imageId} state={state} onStateChange={onStateChange} />;
}
