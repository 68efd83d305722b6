"use client";

import { useQuery } from "@tanstack/react-query";
import { PatchMap } from "~/app/_components/charts/charts";
import { ExportableFigure } from "~/app/_components/charts/exportable-figure";
import { useTRPC } from "~/app/_trpc/react";
import { float32OfBase64 } from "~/lib/codec/base64";
import { buildCsv } from "~/lib/viz/figure-csv";
import { MAP_WIDTH, type PcaSectionProps } from "./pca-section";

/** Cosine similarity of the picked patch to every patch, in its source and at the same cell of the others. */
export function SimilarityMaps(props: PcaSectionProps & { source: string; patch: number }) {
  const trpc = useTRPC();
  const similarity = useQuery(
    trpc.imageView.patchSimilarity.queryOptions(
      {
        runId: props.runId,
        imageId: props.imageId,
        source: props.source,
        patchIndex: props.patch,
        targetSources: props.shown,
      },
      { staleTime: Number.POSITIVE_INFINITY },
    ),
  );
  if (similarity.isPending) return <p className="animate-pulse text-muted text-sm">Computing similarity…</p>;
  if (similarity.isError)
    return (
      <p role="alert" className="text-bad text-sm">
        {similarity.error.message}
      </p>
    );
  const { grid, patchIndex } = similarity.data;
  const [, cols] = grid;
  const where = `row ${Math.floor(patchIndex / cols)}, col ${patchIndex % cols}`;
  return (
    <div className="space-y-2">
      <h3 className="text-sm">
        Similarity to the patch at {where} of {similarity.data.source}
      </h3>
      <p className="text-muted text-xs">
        Each map compares one source's token at this cell with every token of the same source, so sources of
        different widths line up by place.
      </p>
      <div className="flex flex-wrap gap-4" data-testid="similarity-maps">
        {similarity.data.targets.map((target) =>
          target.available ? (
            <SimilarityFigure key={target.source} {...props} target={target} grid={grid} where={where} />
          ) : (
            <p key={target.source} className="w-56 text-muted text-xs">
              <span className="text-white">{target.source}</span>: {target.reason}
            </p>
          ),
        )}
      </div>
    </div>
  );
}

function SimilarityFigure(
  props: PcaSectionProps & {
    target: { source: string; similarity: string; min: number; max: number };
    grid: [number, number];
    where: string;
    patch: number;
  },
) {
  const values = float32OfBase64(props.target.similarity);
  const [, cols] = props.grid;
  return (
    <ExportableFigure
      name={`similarity ${props.target.source} ${props.where}`}
      csv={() =>
        buildCsv(
          ["cell", "row", "col", "cosine_similarity"],
          Array.from(values, (v, cell) => [cell, Math.floor(cell / cols), cell % cols, v]),
        )
      }
    >
      <PatchMap
        title={props.target.source}
        subtitle={`cosine similarity to ${props.where}`}
        mapWidth={MAP_WIDTH}
        photo={props.photo}
        aspect={props.aspect}
        grid={props.grid}
        overlay={{ kind: "scalar", values, domain: [props.target.min, props.target.max], label: "cosine" }}
        opacity={props.state.opacity}
        selectedCell={props.patch}
        onPickCell={(cell) => props.onStateChange({ patchSource: props.target.source, patch: cell })}
      />
    </ExportableFigure>
  );
}
