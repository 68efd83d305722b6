"use client";

import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useChart } from "~/app/_components/charts/use-chart";
import { useTRPC } from "~/app/_trpc/react";
import { float32OfBase64 } from "~/lib/codec/base64";
import type { Categories } from "~/lib/viz/categories";
import type { IndexSet } from "~/lib/viz/panels";
import { useDetailsFetcher } from "./explorer-data";
import { createScatter3d, type Scatter3dProps } from "./scatter3d-chart";

interface Projection3dProps {
  runId: string;
  source: string;
  categories: Categories;
  /** The explorer's selected images (point indices). */
  selected: IndexSet;
  onSelect: (indices: number[]) => void;
}

/** The 3D view: one source's first three principal components, coloured and selected like the 2D panels. */
export function Projection3d(props: Projection3dProps) {
  const trpc = useTRPC();
  const layout = useQuery(trpc.analysis.pca3d.queryOptions({ runId: props.runId, source: props.source }));
  const { categories, selected, onSelect } = props;
  // The layout's images as points, with the names their hover shows: fetched when the 3D view opens.
  const fetchDetails = useDetailsFetcher(props.runId);
  const imageIds = layout.data?.imageIds;
  const details = useQuery({
    queryKey: ["explorer", "3d-details", props.runId, props.source, imageIds?.length ?? 0],
    queryFn: () => fetchDetails({ imageIds: imageIds ?? [] }),
    enabled: imageIds !== undefined,
    staleTime: 60_000,
  });
  const rows = useMemo(() => {
    if (!layout.data || !details.data) return null;
    const all = float32OfBase64(layout.data.coords);
    const found = new Map(details.data.map((point) => [point.imageId, point]));
    const pointIndex: number[] = [];
    const kept: number[] = [];
    const hover: string[] = [];
    layout.data.imageIds.forEach((imageId, row) => {
      const point = found.get(imageId);
      if (point === undefined) return;
      pointIndex.push(point.index);
      kept.push(row);
      hover.push(`${point.fileName}${point.caption ? `<br>${point.caption}` : ""}`);
    });
    const coords = new Float32Array(kept.length * 3);
    kept.forEach((row, i) => {
      coords.set(all.subarray(3 * row, 3 * row + 3), 3 * i);
    });
    return { coords, pointIndex, hover };
  }, [layout.data, details.data]);
  const figure = useMemo((): Scatter3dProps | null => {
    if (rows === null || !layout.data) return null;
    const ratio = layout.data.explainedVarianceRatio.map((r) => `${(100 * r).toFixed(1)}%`).join(" · ");
    return {
      title: `3D PCA of ${props.source}`,
      subtitle: `${rows.pointIndex.length} images · variance explained ${ratio}`,
      coords: rows.coords,
      colours: rows.pointIndex.map((i) => categories.legend[categories.codes[i] ?? 0]?.colour ?? "#fff"),
      hover: rows.hover,
      selected: new Set(rows.pointIndex.flatMap((index, row) => (selected.has(index) ? [row] : []))),
      onPick: (row) => {
        const index = rows.pointIndex[row];
        if (index !== undefined) onSelect([index]);
      },
    };
  }, [rows, layout.data, props.source, categories, selected, onSelect]);
  return (
    <section aria-label="3D view" data-testid="projection-3d" className="space-y-2">
      {layout.isPending || details.isPending ? (
        <p className="animate-pulse text-muted text-sm">Computing the 3D layout…</p>
      ) : null}
      {layout.isError ? (
        <p role="alert" className="text-bad text-sm">
          {layout.error.message}
        </p>
      ) : null}
      {figure ? <Scatter3d {...figure} /> : null}
      <p className="text-muted text-xs">
        Drag to turn, scroll to zoom; click a point to select it in every panel.
      </p>
    </section>
  );
}

function Scatter3d(props: Scatter3dProps) {
  return (
    <div ref={useChart(createScatter3d, props)} className="overflow-x-auto rounded-lg border border-line" />
  );
}
