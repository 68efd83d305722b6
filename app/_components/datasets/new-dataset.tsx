"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useTRPC } from "~/app/_trpc/react";

/** What both ways of making a dataset (upload, server folder) do once it exists: refresh the catalog, open it. */
export function useOpenNewDataset(): (datasetId: string) => Promise<void> {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  return async (datasetId) => {
    await queryClient.invalidateQueries({ queryKey: trpc.catalog.datasets.queryKey() });
    router.push(`/datasets/${datasetId}`);
  };
}

/** The new dataset's name, required (the server's limit: 200 characters). */
export function DatasetNameField({ value, onChange }: { value: string; onChange: (name: string) => void }) {
  return (
    <label className="block">
      <span className="text-muted">Dataset name</span>
      <input
        value={value}
        onChange={(event) => onChange(event.target.value)}
        required
        maxLength={200}
        className="mt-1 block w-full rounded border border-line bg-surface p-1"
      />
    </label>
  );
}
