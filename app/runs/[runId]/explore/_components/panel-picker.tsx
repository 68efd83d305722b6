"use client";

import { SourceSelect } from "~/app/_components/source-select";
import type { RouterOutputs } from "~/app/_trpc/router-types";

type OtherRun = RouterOutputs["analysis"]["comparisonRuns"][number];

/**
 * Which sources get a panel, and which panel the others are aligned to; and panels of another run of the same
 * dataset (another model on the same images) beside them, its points the same images as this run's.
 */
export function PanelPicker({
  available,
  shown,
  reference,
  otherRuns,
  compareRun,
  compareSources,
  isReadOnly,
  onChange,
}: {
  available: string[];
  shown: string[];
  reference: string;
  /** The other runs of this run's dataset with their sources. */
  otherRuns: readonly OtherRun[];
  compareRun: string;
  compareSources: string[];
  isReadOnly: boolean;
  onChange: (patch: {
    sources?: string[];
    reference?: string;
    compareRun?: string;
    compareSources?: string[];
  }) => void;
}) {
  const toggle = (source: string) => {
    const next = shown.includes(source) ? shown.filter((s) => s !== source) : [...shown, source];
    // Keep the run's order so panels do not jump around; an empty pick means "all".
    if (next.length > 0) onChange({ sources: available.filter((s) => next.includes(s)) });
  };
  const toggleOther = (run: OtherRun, source: string) => {
    const current = run.runId === compareRun ? compareSources : [];
    const next = current.includes(source) ? current.filter((s) => s !== source) : [...current, source];
    const kept = run.sources.filter((s) => next.includes(s));
    onChange({ compareRun: kept.length > 0 ? run.runId : "", compareSources: kept });
  };
  const comparedCount = compareRun === "" ? 0 : compareSources.length;
  return (
    <details className="relative" data-testid="panel-picker">
      <summary className="cursor-pointer rounded border border-line px-3 py-1 text-sm hover:border-accent">
        Panels ({shown.length}/{available.length}
        {comparedCount > 0 ? ` + ${comparedCount}` : ""})
      </summary>
      <div className="absolute z-20 mt-1 max-h-[32rem] w-80 space-y-2 overflow-y-auto rounded border border-line bg-panel p-3 shadow-lg">
        <fieldset disabled={isReadOnly} className="space-y-1">
          <legend className="mb-1 text-muted text-xs">Sources</legend>
          {available.map((source) => (
            <label key={source} className="flex items-center gap-2 text-sm">
              <input type="checkbox" checked={shown.includes(source)} onChange={() => toggle(source)} />
              {source}
            </label>
          ))}
        </fieldset>
        <SourceSelect
          label="Align to"
          labelClassName="flex items-center gap-2 text-muted text-xs"
          sources={shown}
          value={reference}
          disabled={isReadOnly}
          onPick={(source) => onChange({ reference: source })}
          className="rounded border border-line bg-surface px-2 py-1 text-sm text-white"
        />
        {otherRuns.length > 0 ? (
          <fieldset disabled={isReadOnly} className="space-y-2 border-line border-t pt-2">
            <legend className="mb-1 text-muted text-xs">Beside them: another run of this dataset</legend>
            {otherRuns.map((run) => (
              <div key={run.runId} data-testid="compare-run" data-run-id={run.runId} className="space-y-1">
                <p className="truncate text-sm" title={`${run.name} · ${run.model}`}>
                  {run.name} <span className="text-muted text-xs">· {run.model}</span>
                </p>
                {run.sources.map((source) => (
                  <label key={source} className="ml-3 flex items-center gap-2 text-sm">
                    <input
                      type="checkbox"
                      data-testid="compare-source"
                      data-source={source}
                      checked={run.runId === compareRun && compareSources.includes(source)}
                      onChange={() => toggleOther(run, source)}
                    />
                    {source}
                  </label>
                ))}
              </div>
            ))}
          </fieldset>
        ) : null}
      </div>
    </details>
  );
}
