"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "../../_trpc/react";

// Loads and unloads happen on requests; the table follows every few seconds.
const POLL_MS = 5_000;

function megabytes(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

export function ModelsTable() {
  const trpc = useTRPC();
  const listing = useQuery({ ...trpc.system.models.queryOptions(), refetchInterval: POLL_MS });
  if (listing.error) return <p className="text-red-400 text-sm">{listing.error.message}</p>;
  if (listing.data === undefined) return <p className="text-muted text-sm">Loading models…</p>;
  const { models, memoryBudgetBytes, loadedWeightBytes } = listing.data;
  return (
    <div className="space-y-3">
      <p className="text-muted text-sm" data-testid="models-memory">
        Loaded weights {megabytes(loadedWeightBytes)} of{" "}
        {memoryBudgetBytes === null ? "no limit (INFERENCE_MEMORY_MB unset)" : megabytes(memoryBudgetBytes)}
      </p>
      <table className="w-full border-collapse text-sm" data-testid="models-table">
        <thead className="text-left text-muted">
          <tr>
            <th className="py-1 pr-4">Name</th>
            <th className="py-1 pr-4">Format</th>
            <th className="py-1 pr-4 text-right">Size on disk</th>
            <th className="py-1 pr-4">Feature sources</th>
            <th className="py-1 pr-4">Attention outputs</th>
            <th className="py-1 pr-4">Language model</th>
            <th className="py-1 pr-4">Loaded</th>
          </tr>
        </thead>
        <tbody>
          {models.map((model) => (
            <tr key={model.dir} className="border-line border-t align-top" data-model={model.name}>
              <td className="py-1 pr-4" title={model.dir}>
                {model.name}
                {model.isDefault ? <span className="text-muted"> (default)</span> : null}
              </td>
              <td className="py-1 pr-4" title={model.sourceFormat}>
                {model.format} <span className="text-muted">{model.dtypes.join(", ")}</span>
              </td>
              <td className="py-1 pr-4 text-right tabular-nums">{megabytes(model.sizeBytes)}</td>
              <td className="py-1 pr-4">{model.sources.join(", ")}</td>
              <td className="py-1 pr-4">
                {model.attentionOutputs.length === 0 ? "none" : model.attentionOutputs.join(", ")}
              </td>
              <td className="py-1 pr-4">{model.hasLanguageModel ? "yes" : "no"}</td>
              <td className="py-1 pr-4">
                {model.loadedWeightBytes === null ? "no" : `yes · ${megabytes(model.loadedWeightBytes)}`}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
