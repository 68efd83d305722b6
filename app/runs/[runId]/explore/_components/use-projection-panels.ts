"use client";

import { skipToken, useMutation, useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { RouterInputs, RouterOutputs } from "~/app/_trpc/router-types";
import { isActiveStatus, isResumableStatus } from "~/server/api/job-states";
import { useTRPC } from "../../../../_trpc/react";

type Inputs = RouterInputs["analysis"];
type Outputs = RouterOutputs["analysis"];
type ProjectionRequest = Inputs["requestProjections"];
type PatchProjectionRequest = Inputs["requestPatchProjection"];
type PatchPanelDto = Outputs["patchProjection"];

/** A shared view's projections: exactly these stored layouts, never recomputed. */
export interface PinnedProjections {
  projectionIds: string[];
  referenceProjectionId: string;
}

export type Computed<T> =
  | { status: "loading" }
  | { status: "computing"; fraction: number }
  | { status: "error"; message: string }
  | { status: "ready"; value: T };

// How often a waiting explorer asks whether its layouts are done; UMAP of a few hundred points takes seconds.
const JOB_POLL_MS = 1_000;

type Answer = { status: "ready" } | { status: "pending"; jobId: string };

/**
 * Sends a layout request whenever it changes and again when the job it started completes (the layouts are then
 * cached, so the second answer is "ready"). Cached layouts come back at once.
 */
function useRequestUntilReady<I, A extends Answer>(
  ask: { mutate: (input: I) => void; data: A | undefined; error: { message: string } | null },
  request: I | null,
): Computed<Extract<A, { status: "ready" }>> {
  const trpc = useTRPC();
  const [generation, setGeneration] = useState(0);
  const requestKey = request === null ? null : JSON.stringify(request);
  const { mutate } = ask;
  // biome-ignore lint/correctness/useExhaustiveDependencies: `requestKey` stands for `request`; `generation` re-asks once a job ends.
  useEffect(() => {
    if (request !== null) mutate(request);
  }, [requestKey, generation, mutate]);
  const jobId = ask.data?.status === "pending" ? ask.data.jobId : null;
  const job = useQuery(
    trpc.analysis.job.queryOptions(jobId === null ? skipToken : { jobId }, {
      refetchInterval: (query) =>
        isActiveStatus(query.state.data?.status ?? "queued") ? JOB_POLL_MS : false,
    }),
  );
  const jobStatus = job.data?.status;
  useEffect(() => {
    if (jobStatus === "completed") setGeneration((g) => g + 1);
  }, [jobStatus]);
  if (ask.error) return { status: "error", message: ask.error.message };
  if (job.data !== undefined && isResumableStatus(job.data.status))
    return { status: "error", message: job.data.error ?? `The layout job was ${job.data.status}.` };
  if (ask.data?.status === "ready")
    return { status: "ready", value: ask.data as Extract<A, { status: "ready" }> };
  if (ask.data?.status === "pending") return { status: "computing", fraction: job.data?.fraction ?? 0 };
  return { status: "loading" };
}

function fromQuery<T>(query: { data: T | undefined; error: { message: string } | null }): Computed<T> {
  if (query.error) return { status: "error", message: query.error.message };
  return query.data === undefined ? { status: "loading" } : { status: "ready", value: query.data };
}

/**
 * Which stored layouts a view's panels are: computed (or found cached) for a live view, the pinned ids for a
 * shared one. The coordinates themselves come as binary per panel (use-panel-frames.ts).
 */
export function useProjectionPanels(
  request: ProjectionRequest | null,
  pinned: PinnedProjections | null,
): Computed<PinnedProjections> {
  const trpc = useTRPC();
  const live = useRequestUntilReady(
    useMutation(trpc.analysis.requestProjections.mutationOptions()),
    pinned === null && request !== null ? { ...request, withPoints: false } : null,
  );
  if (pinned !== null) return { status: "ready", value: pinned };
  if (live.status !== "ready") return live;
  const panels = live.value.panels;
  return {
    status: "ready",
    value: {
      projectionIds: panels.map((panel) => panel.projectionId),
      referenceProjectionId:
        panels.find((panel) => panel.isReference)?.projectionId ?? panels[0]?.projectionId ?? "",
    },
  };
}

/** The patch-token layout of a few images: computed for a live view, read by id for a shared one. */
export function usePatchPanel(
  request: PatchProjectionRequest | null,
  pinnedId: string | null,
): Computed<PatchPanelDto> {
  const trpc = useTRPC();
  const live = useRequestUntilReady(
    useMutation(trpc.analysis.requestPatchProjection.mutationOptions()),
    request,
  );
  const stored = fromQuery<PatchPanelDto>(
    useQuery(
      trpc.analysis.patchProjection.queryOptions(pinnedId === null ? skipToken : { projectionId: pinnedId }, {
        staleTime: Infinity,
      }),
    ),
  );
  if (pinnedId !== null) return stored;
  return live.status === "ready" ? { status: "ready", value: live.value.panel } : live;
}
