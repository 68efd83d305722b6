"use client";

import { useState } from "react";
import { downloadFile } from "~/app/_components/download-file";
import { thumbnailUrl } from "~/app/_components/image-thumbnail";
import { rasterizeSvg } from "~/app/_components/rasterize-svg";
import type { Categories } from "~/lib/viz/categories";
import { explorerCsv, explorerFigure } from "~/lib/viz/explorer-exports";
import { buildCsv } from "~/lib/viz/figure-csv";
import { buildFigurePack } from "~/lib/viz/figure-pack";
import { buildFigureSvg } from "~/lib/viz/figure-svg";
import { slug } from "~/lib/viz/file-name";
import type { DecodedPanel, IndexSet } from "~/lib/viz/panels";
import type { AnalysisPoint } from "./explorer-data";

const ALL = "all panels";
// A figure pack carries thumbnails of at most this many selected images (each a few KB).
const PACK_THUMBNAILS = 200;

interface ExportMenuProps {
  title: string;
  subtitle: string;
  panels: DecodedPanel[];
  /** Patch mode: each item's point; null when items are points. */
  pointOfItem: Uint32Array | null;
  /** Names of points, fetched when an export needs them. */
  fetchDetails: (ask: { indices: readonly number[] }) => Promise<AnalysisPoint[]>;
  categories: Categories;
  legendTitle: string;
  selected: IndexSet & Iterable<number>;
}

/** Every figure as PNG (2×) and SVG with title and legend, its data as CSV, and a zip for the selection. */
export function ExportMenu(props: ExportMenuProps) {
  const [which, setWhich] = useState(ALL);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const panelsOf = (name: string) =>
    name === ALL ? props.panels : props.panels.filter((p) => p.title === name);
  const figureOf = (name: string) =>
    buildFigureSvg(
      explorerFigure({
        title: name === ALL ? props.title : `${props.title} · ${name}`,
        subtitle: props.subtitle,
        panels: panelsOf(name),
        categories: props.categories,
        legendTitle: props.legendTitle,
        selected: props.selected,
      }),
    );
  const csvOf = async (name: string) => {
    const panels = panelsOf(name);
    const byPoint = await detailsOfItems(
      props,
      panels.flatMap((panel) => Array.from(panel.pointIndex)),
    );
    return explorerCsv({
      panels,
      detailsOf: (item) => byPoint.get(pointOf(props, item)),
      categories: props.categories,
      selected: props.selected,
    });
  };

  const run = async (label: string, work: () => Promise<void>) => {
    setBusy(label);
    setError(null);
    try {
      await work();
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(null);
    }
  };
  const base = `${slug(props.title)}-${slug(which)}`;
  const actions = [
    {
      testId: "export-png",
      label: "PNG (2×)",
      onClick: () =>
        run("png", async () => {
          const figure = figureOf(which);
          const png = await rasterizeSvg(figure.svg, figure.width, figure.height);
          downloadFile(`${base}.png`, png, "image/png");
        }),
    },
    {
      testId: "export-svg",
      label: "SVG",
      onClick: () =>
        run("svg", async () => downloadFile(`${base}.svg`, figureOf(which).svg, "image/svg+xml")),
    },
    {
      testId: "export-csv",
      label: "CSV",
      onClick: () => run("csv", async () => downloadFile(`${base}.csv`, await csvOf(which), "text/csv")),
    },
    {
      testId: "export-pack",
      label: "Figure pack (zip)",
      onClick: () => run("zip", () => downloadPack(props, figureOf, csvOf)),
    },
  ];

  const isDisabled = props.panels.length === 0 || busy !== null;
  return (
    <details className="relative">
      <summary
        data-testid="export-open"
        className="cursor-pointer rounded border border-line px-3 py-1 text-sm hover:border-accent"
      >
        Export
      </summary>
      <div className="absolute right-0 z-30 mt-1 w-80 space-y-3 rounded border border-line bg-panel p-3 shadow-lg">
        <label className="flex items-center gap-2 text-muted text-xs">
          Figure
          <select
            data-testid="export-figure"
            value={which}
            onChange={(event) => setWhich(event.target.value)}
            className="min-w-0 flex-1 rounded border border-line bg-surface px-2 py-1 text-sm text-white"
          >
            <option value={ALL}>All panels</option>
            {props.panels.map((panel) => (
              <option key={panel.projectionId} value={panel.title}>
                {panel.title}
              </option>
            ))}
          </select>
        </label>
        <div className="flex flex-wrap gap-2">
          {actions.map((action) => (
            <button
              key={action.testId}
              type="button"
              data-testid={action.testId}
              disabled={isDisabled}
              onClick={action.onClick}
              className="rounded border border-line px-2 py-1 text-sm hover:border-accent disabled:opacity-50"
            >
              {action.label}
            </button>
          ))}
        </div>
        {busy ? <p className="animate-pulse text-muted text-xs">Preparing {busy.toUpperCase()}…</p> : null}
        {error ? (
          <p role="alert" className="text-bad text-xs">
            {error}
          </p>
        ) : null}
      </div>
    </details>
  );
}

/** The point an item stands for (itself, or in patch mode its image's point). */
function pointOf(props: ExportMenuProps, item: number): number {
  return props.pointOfItem === null ? item : (props.pointOfItem[item] ?? 0);
}

/** Details of the points of these items, fetched for the export, by point index. */
async function detailsOfItems(
  props: ExportMenuProps,
  items: Iterable<number>,
): Promise<Map<number, AnalysisPoint>> {
  const points = new Set<number>();
  for (const item of items) points.add(pointOf(props, item));
  const found = await props.fetchDetails({ indices: [...points] });
  return new Map(found.map((point) => [point.index, point]));
}

/** Every figure (all panels and each panel) as SVG and PNG, the data, the selection and its thumbnails. */
async function downloadPack(
  props: ExportMenuProps,
  figureOf: (name: string) => { svg: string; width: number; height: number },
  csvOf: (name: string) => Promise<string>,
): Promise<void> {
  const files: Record<string, string | Uint8Array> = {};
  for (const name of [ALL, ...props.panels.map((p) => p.title)]) {
    const figure = figureOf(name);
    files[`figures/${slug(name)}.svg`] = figure.svg;
    const png = await rasterizeSvg(figure.svg, figure.width, figure.height);
    files[`figures/${slug(name)}.png`] = new Uint8Array(await png.arrayBuffer());
  }
  files["data/projections.csv"] = await csvOf(ALL);
  const byPoint = await detailsOfItems(props, props.selected);
  const chosen = [...props.selected].flatMap((item) => byPoint.get(pointOf(props, item)) ?? []);
  files["data/selection.csv"] = buildCsv(
    ["image_id", "file_name", "sha256", "caption", "labels", "status"],
    chosen.map((p) => [p.imageId, p.fileName, p.sha256, p.caption, JSON.stringify(p.labels), p.status]),
  );
  for (const point of chosen.slice(0, PACK_THUMBNAILS)) {
    const response = await fetch(thumbnailUrl(point.sha256));
    if (response.ok)
      files[`thumbnails/${slug(point.fileName)}.webp`] = new Uint8Array(await response.arrayBuffer());
  }
  files["README.txt"] = [
    props.title,
    props.subtitle,
    `View: ${window.location.href}`,
    `Exported: ${new Date().toISOString()}`,
    `Selection: ${chosen.length} images${chosen.length > PACK_THUMBNAILS ? ` (thumbnails of the first ${PACK_THUMBNAILS})` : ""}`,
    "figures/: SVG and PNG (2x) of all panels and of each panel; data/: the coordinates and the selection as CSV.",
    "",
  ].join("\n");
  downloadFile(`${slug(props.title)}-figure-pack.zip`, buildFigurePack(files), "application/zip");
}
