"use client";

import { SourceSelect } from "~/app/_components/source-select";

/** Which sources get a panel, and which panel the others are aligned to. */
export function PanelPicker({
  available,
  shown,
  reference,
  isReadOnly,
  onChange,
}: {
  available: string[];
  shown: string[];
  reference: string;
  isReadOnly: boolean;
  onChange: (patch: { sources?: string[]; reference?: string }) => void;
}) {
  const toggle = (source: string) => {
    const next = shown.includes(source) ? shown.filter((s) => s !== source) : [...shown, source];
    // Keep the run's order so panels do not jump around; an empty pick means "all".
    if (next.length > 0) onChange({ sources: available.filter((s) => next.includes(s)) });
  };
  return (
    <details className="relative">
      <summary className="cursor-pointer rounded border border-line px-3 py-1 text-sm hover:border-accent">
        Panels ({shown.length}/{available.length})
      </summary>
      <div className="absolute z-20 mt-1 w-72 space-y-2 rounded border border-line bg-panel p-3 shadow-lg">
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
      </div>
    </details>
  );
}
