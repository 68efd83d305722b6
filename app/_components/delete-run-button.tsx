"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../_trpc/react";
import { ConfirmDelete } from "./confirm-delete";

/** Deletes a run after a confirmation naming its results, feature files and projections. */
export function DeleteRunButton(props: { runId: string; onDeleted: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [isAsked, setIsAsked] = useState(false);
  const deletion = useQuery({ ...trpc.runs.deletion.queryOptions({ runId: props.runId }), enabled: isAsked });
  const remove = useMutation(
    trpc.runs.delete.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.catalog.pathKey() });
        await queryClient.invalidateQueries({ queryKey: trpc.datasets.pathKey() });
        props.onDeleted();
      },
    }),
  );
  const plan = deletion.data;
  return (
    <ConfirmDelete
      label="Delete run"
      testId={`delete-run-${props.runId}`}
      onOpen={() => setIsAsked(true)}
      onConfirm={() => remove.mutate({ runId: props.runId })}
      isDeleting={remove.isPending}
      error={remove.isError ? remove.error.message : deletion.isError ? deletion.error.message : null}
      summary={
        plan === undefined ? null : (
          <p data-testid="delete-run-summary">
            Deletes the run <strong>{plan.name}</strong> on {plan.datasetName}: {plan.results} image results
            with their answers, {plan.featureFiles} feature files and {plan.projections} stored projections.
            The dataset and its images stay.
          </p>
        )
      }
    />
  );
}
