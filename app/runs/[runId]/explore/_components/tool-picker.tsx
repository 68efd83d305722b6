"use client";

import { useEffect } from "react";
import type { Tool } from "./scatter-renderer";

const TOOLS: { tool: Tool; label: string; key: string; hint: string }[] = [
  { tool: "pan", label: "Pan", key: "p", hint: "drag to pan, wheel to zoom" },
  { tool: "lasso", label: "Lasso", key: "l", hint: "drag a loop around points" },
  { tool: "box", label: "Box", key: "b", hint: "drag a rectangle" },
];

function isTyping(target: EventTarget | null): boolean {
  return (
    target instanceof HTMLElement &&
    (target.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName))
  );
}

/** Pan, lasso or box, also on the keys P, L and B. */
export function ToolPicker({ tool, onTool }: { tool: Tool; onTool: (tool: Tool) => void }) {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.ctrlKey || event.metaKey || event.altKey || isTyping(event.target)) return;
      const match = TOOLS.find((t) => t.key === event.key.toLowerCase());
      if (match) onTool(match.tool);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onTool]);
  return (
    <fieldset className="flex overflow-hidden rounded border border-line">
      <legend className="sr-only">Pointer tool</legend>
      {TOOLS.map((t) => (
        <label
          key={t.tool}
          title={`${t.label} (${t.key.toUpperCase()}): ${t.hint}`}
          className={`cursor-pointer px-3 py-1 text-sm has-focus-visible:outline has-focus-visible:outline-accent ${
            tool === t.tool ? "bg-accent text-surface" : "hover:bg-line"
          }`}
        >
          <input
            type="radio"
            name="tool"
            value={t.tool}
            checked={tool === t.tool}
            onChange={() => onTool(t.tool)}
            className="sr-only"
          />
          {t.label}
        </label>
      ))}
    </fieldset>
  );
}
