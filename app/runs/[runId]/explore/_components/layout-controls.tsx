"use client";

import type { ViewState } from "~/lib/viz/view-state";

type LayoutFields = Pick<ViewState, "method" | "nNeighbors" | "minDist" | "seed">;

const FIELD = "rounded border border-line bg-surface px-2 py-1 text-sm disabled:opacity-60";

/** A number input that commits on Enter or blur, so typing "0.25" does not start three layouts. */
function NumberField(props: {
  label: string;
  value: number;
  step: number;
  min: number;
  max: number;
  disabled: boolean;
  onCommit: (value: number) => void;
}) {
  const commit = (input: HTMLInputElement) => {
    const value = Number(input.value);
    if (Number.isFinite(value) && value >= props.min && value <= props.max && value !== props.value)
      props.onCommit(value);
    else input.value = String(props.value);
  };
  return (
    <label className="flex items-center gap-1 text-muted text-xs">
      {props.label}
      <input
        key={props.value}
        type="number"
        defaultValue={props.value}
        step={props.step}
        min={props.min}
        max={props.max}
        disabled={props.disabled}
        onBlur={(event) => commit(event.currentTarget)}
        onKeyDown={(event) => {
          if (event.key === "Enter") commit(event.currentTarget);
        }}
        className={`${FIELD} w-20 text-white`}
      />
    </label>
  );
}

/** Method and UMAP parameters of the layouts; read-only in a shared view. */
export function LayoutControls({
  value,
  isReadOnly,
  onChange,
}: {
  value: LayoutFields;
  isReadOnly: boolean;
  onChange: (patch: Partial<LayoutFields>) => void;
}) {
  const isUmap = value.method === "umap";
  return (
    <div className="flex flex-wrap items-center gap-3">
      <label className="flex items-center gap-1 text-muted text-xs">
        Layout
        <select
          value={value.method}
          disabled={isReadOnly}
          onChange={(event) => onChange({ method: event.target.value === "pca" ? "pca" : "umap" })}
          className={`${FIELD} text-white`}
        >
          <option value="umap">UMAP</option>
          <option value="pca">PCA</option>
        </select>
      </label>
      {isUmap ? (
        <>
          <NumberField
            label="neighbours"
            value={value.nNeighbors}
            step={1}
            min={2}
            max={200}
            disabled={isReadOnly}
            onCommit={(nNeighbors) => onChange({ nNeighbors })}
          />
          <NumberField
            label="min dist"
            value={value.minDist}
            step={0.05}
            min={0}
            max={1}
            disabled={isReadOnly}
            onCommit={(minDist) => onChange({ minDist })}
          />
          <NumberField
            label="seed"
            value={value.seed}
            step={1}
            min={0}
            max={2 ** 31 - 1}
            disabled={isReadOnly}
            onCommit={(seed) => onChange({ seed })}
          />
        </>
      ) : null}
    </div>
  );
}
