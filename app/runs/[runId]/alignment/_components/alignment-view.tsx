"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect } from "react";
import { useTRPC } from "~/app/_trpc/react";
import { isActiveStatus } from "~/server/api/job-states";
import { AlignmentFigures } from "./alignment-figures";
import { AlignmentRequest } from "./alignment-request";
import type { AlignmentState } from "./alignment-state";

export interface AlignmentViewProps {
  runId: string;
  state: AlignmentState;
  onStateChange: (patch: Partial<AlignmentState>) => void;
}

// Job progress is read from the database, where the worker writes it.
const JOB_POLL_MS = 1_000;

/** The paper's alignment analysis on this run: loss curves, leave-one-out ablations, CKA and retrieval. */
export function AlignmentView(props: AlignmentViewProps) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const run = useQuery(trpc.runs.get.queryOptions({ runId: props.runId }));
  const alignment = useQuery(trpc.analysis.alignment.queryOptions({ runId: props.runId }));
  const job = useQuery({
    ...trpc.analysis.job.queryOptions({ jobId: props.state.job }),
    enabled: props.state.job !== "",
    refetchInterval: (query) =>
      query.state.data === undefined || isActiveStatus(query.state.data.status) ? JOB_POLL_MS : false,
  });
  const status = job.data?.status;
  useEffect(() => {
    if (status === "completed") {
      void queryClient.invalidateQueries(trpc.analysis.alignment.queryFilter({ runId: props.runId }));
    }
  }, [status, queryClient, trpc, props.runId]);

  return (
    <div className="space-y-8" data-testid="alignment-view">
      <header className="space-y-1">
        <Link href={`/runs/${props.runId}`} className="text-muted text-sm hover:text-white">
          ← {run.data?.name ?? "the run"}
        </Link>
        <h1 className="font-semibold text-2xl tracking-tight">Vision–language alignment</h1>
        <p className="max-w-3xl text-muted text-sm">
          One linear probe per visual source maps its pooled features onto the language model's caption
          features; lower contrastive loss means better aligned (paper Figs. 4–5). Losses compare only between
          rows of one analysis: they depend on the batch size (chance = ln N).
        </p>
      </header>
      <AlignmentRequest {...props} job={job.data ?? null} jobError={job.error?.message ?? null} />
      {alignment.isPending ? (
        <p className="animate-pulse text-muted text-sm">Loading the latest analysis…</p>
      ) : alignment.isError ? (
        <p role="alert" className="text-bad text-sm">
          {alignment.error.message}
        </p>
      ) : alignment.data === null ? (
        <p className="text-muted text-sm" data-testid="alignment-empty">
          No alignment analysis of this run yet: start one above.
        </p>
      ) : (
        <AlignmentFigures result={alignment.data} runName={run.data?.name ?? props.runId} {...props} />
      )}
    </div>
  );
}
