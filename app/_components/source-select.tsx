"use client";

import type { ComponentProps, ReactNode } from "react";

/**
 * A labelled drop-down of a run's feature sources (one option per source name) that reports the picked name;
 * `labelClassName` styles the label around it, the other props go to the select.
 */
export function SourceSelect({
  label,
  labelClassName,
  sources,
  onPick,
  ...select
}: Omit<ComponentProps<"select">, "onChange" | "children"> & {
  label: ReactNode;
  labelClassName: string;
  sources: readonly string[];
  onPick: (source: string) => void;
}) {
  return (
    <label className={labelClassName}>
      {label}
      <select {...select} onChange={(event) => onPick(event.target.value)}>
        {sources.map((source) => (
          <option key={source} value={source}>
            {source}
          </option>
        ))}
      </select>
    </label>
  );
}
