"use client";

import { SourceSelect } from "~/app/_components/source-select";
import type { ViewState } from "~/lib/viz/view-state";

const FIELD = "rounded border border-line bg-surface px-2 py-1 text-sm text-white disabled:opacity-60";

/** Images (one point per image, one panel per source) or patches (one point per patch token, one source). */
export function ModePicker({
  mode,
  patchSource,
  available,
  isReadOnly,
  onChange,
}: {
  mode: ViewState["mode"];
  patchSource: string;
  available: string[];
  isReadOnly: boolean;
  onChange: (patch: Partial<ViewState>) => void;
}) {
  return (
    <div className="flex items-center gap-2">
      <label className="flex items-center gap-1 text-muted text-xs">
        Points
        <select
          data-testid="mode"
          value={mode}
          disabled={isReadOnly}
          onChange={(event) =>
            onChange({ mode: event.target.value === "patches" ? "patches" : "images", patchSelection: "" })
          }
          className={FIELD}
        >
          <option value="images">images</option>
          <option value="patches">patch tokens</option>
        </select>
      </label>
      {mode === "patches" ? (
        <SourceSelect
          label="of"
          labelClassName="flex items-center gap-1 text-muted text-xs"
          sources={available}
          value={patchSource}
          disabled={isReadOnly}
          onPick={(source) => onChange({ patchSource: source, patchSelection: "" })}
          className={FIELD}
        />
      ) : null}
    </div>
  );
}
