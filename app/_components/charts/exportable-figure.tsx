"use client";

import { type ReactNode, useRef, useState } from "react";
import { downloadFile } from "~/app/_components/download-file";
import { PNG_SCALE, rasterizeSvg } from "~/app/_components/rasterize-svg";
import { downloadPlotlyFigure } from "./plotly-chart";

/** File-name part from free text: "CKA · depth:V" → "cka-depth-v". */
export function slug(text: string): string {
  return (
    text
      .replace(/[^A-Za-z0-9]+/g, "-")
      .replace(/^-|-$/g, "")
      .toLowerCase() || "figure"
  );
}

/** The figure's SVG as a standalone document with its CSS size (it already carries its <title> and legend). */
function serializeFigure(container: HTMLElement): { svg: string; width: number; height: number } {
  const element = container.querySelector("svg[data-figure]");
  if (element === null) throw new Error("The figure has not been drawn yet.");
  return {
    svg: new XMLSerializer().serializeToString(element),
    width: Number(element.getAttribute("width")),
    height: Number(element.getAttribute("height")),
  };
}

/**
 * A chart with its export buttons: PNG at 2× its CSS size, SVG as drawn (title and legend included) and the
 * data behind it as CSV. A d3 figure (svg[data-figure]) is serialised as it is; a plotly figure is written by
 * plotly's own image export.
 */
export function ExportableFigure(props: { name: string; csv: () => string; children: ReactNode }) {
  const container = useRef<HTMLDivElement>(null);
  const [error, setError] = useState<string | null>(null);
  const base = slug(props.name);
  const save = async (format: "png" | "svg" | "csv") => {
    setError(null);
    try {
      if (format === "csv") return downloadFile(`${base}.csv`, props.csv(), "text/csv");
      if (container.current === null) return;
      const plotly = container.current.querySelector<HTMLElement>("[data-plotly-figure]");
      if (plotly !== null) return await downloadPlotlyFigure(plotly, format, base, PNG_SCALE);
      const figure = serializeFigure(container.current);
      if (format === "svg") return downloadFile(`${base}.svg`, figure.svg, "image/svg+xml");
      const png = await rasterizeSvg(figure.svg, figure.width, figure.height);
      downloadFile(`${base}.png`, png, "image/png");
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  };
  const button = "rounded border border-line px-2 py-0.5 text-xs hover:border-accent focus:border-accent";
  return (
    <figure data-testid="figure" data-name={props.name} className="space-y-1">
      <div ref={container}>{props.children}</div>
      <figcaption className="flex flex-wrap items-center gap-2 text-muted text-xs">
        Export
        <button type="button" data-testid="export-png" className={button} onClick={() => void save("png")}>
          PNG ({PNG_SCALE}×)
        </button>
        <button type="button" data-testid="export-svg" className={button} onClick={() => void save("svg")}>
          SVG
        </button>
        <button type="button" data-testid="export-csv" className={button} onClick={() => void save("csv")}>
          CSV
        </button>
        {error ? (
          <span role="alert" className="text-bad">
            {error}
          </span>
        ) : null}
      </figcaption>
    </figure>
  );
}
