"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import type { RouterOutputs } from "~/app/_trpc/router-types";
import { useTRPC } from "../../../../_trpc/react";

export type AnalysisPoint = RouterOutputs["analysis"]["points"][number];

/** The run's images (hover, colour, gallery) and kept sources, with each image's index for linking panels. */
export function useRunPoints(runId: string) {
  const trpc = useTRPC();
  const points = useQuery(trpc.analysis.points.queryOptions({ runId }, { staleTime: 60_000 }));
  const sources = useQuery(trpc.analysis.sources.queryOptions({ runId }));
  const indexOfImage = useMemo(
    () => new Map((points.data ?? []).map((point, index) => [point.imageId, index])),
    [points.data],
  );
  return { points, sources, indexOfImage };
}
