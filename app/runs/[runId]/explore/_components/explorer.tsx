"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useCallback, useEffect, useMemo, useState } from "react";
import { SimilarImages } from "~/app/_components/similar-images";
import { categoriesOfItems } from "~/lib/viz/categories";
import { clusterKeywords, clusterSample } from "~/lib/viz/cluster-keywords";
import { colourClusters, describeColourBy, NO_CLUSTER, parseColourBy } from "~/lib/viz/colour-by";
import { pointClusters } from "~/lib/viz/panels";
import { rowsWithCode } from "~/lib/viz/patches";
import { pickSource } from "~/lib/viz/pick-source";
import { createSelectionCodec } from "~/lib/viz/selection-codec";
import type { ViewState } from "~/lib/viz/view-state";
import { useTRPC } from "../../../../_trpc/react";
import { ColourControls } from "./colour-controls";
import { type PointTable, useDetailsFetcher, usePointDetails, usePointTable } from "./explorer-data";
import { ExplorerPanels } from "./explorer-panels";
import { ExportMenu } from "./export-menu";
import { ImageViewer } from "./image-viewer";
import { LayoutControls } from "./layout-controls";
import { Legend } from "./legend";
import { ModePicker } from "./mode-picker";
import { PanelPicker } from "./panel-picker";
import { PatchImages } from "./patch-images";
import { Projection3d } from "./projection-3d";
import type { Tool } from "./scatter-renderer";
import { SelectionGallery } from "./selection-gallery";
import { SharePanel } from "./share-panel";
import { TextSearch } from "./text-search";
import { ToolPicker } from "./tool-picker";
import { useSharedRendering } from "./use-shared-rendering";
import { type Pins, useViewPanels } from "./use-view-panels";

interface ExplorerProps {
  runId: string;
  state: ViewState;
  onStateChange: (patch: Partial<ViewState>) => void;
  /** A shared view: these projections, read-only layout controls, no sharing. */
  pins: Pins | null;
}

// A stable empty table while the points load, so memoised values do not recompute on every render.
const NO_TABLE: PointTable = {
  count: 0,
  colourBy: "none",
  legend: [],
  labelKeys: [],
  status: new Uint8Array(0),
  codes: new Uint16Array(0),
};

/** Small multiples of one run's projections, linked by selection, with colouring, gallery, share and export. */
export function Explorer({ runId, state, onStateChange, pins }: ExplorerProps) {
  const trpc = useTRPC();
  const run = useQuery(trpc.runs.get.queryOptions({ runId }));
  const sources = useQuery(trpc.analysis.sources.queryOptions({ runId }));
  const isReadOnly = pins !== null;
  // Other runs of the dataset, whose panels can go beside this run's (not offered on a shared view).
  const otherRuns = useQuery({
    ...trpc.analysis.comparisonRuns.queryOptions({ runId }),
    enabled: !isReadOnly,
  });
  // Cluster colours come from a layout, not from the table: the table is then asked for no colouring.
  const isClusterColouring = parseColourBy(state.colourBy).kind === "cluster";
  const points = usePointTable(runId, isClusterColouring ? "none" : state.colourBy);
  const table = points.data ?? NO_TABLE;
  const fetchDetails = useDetailsFetcher(runId);

  const available = useMemo(
    () => (sources.data?.sources ?? []).filter((s) => s.images > 0).map((s) => s.source),
    [sources.data],
  );
  const shown = useMemo(() => {
    const picked = state.sources.filter((s) => available.includes(s));
    return picked.length > 0 ? picked : available;
  }, [state.sources, available]);
  const reference = pickSource(shown, state.reference);
  const patchSource = pickSource(available, state.patchSource || reference);
  // One codec for the explorer's lifetime, so memoised selections depend on their text alone.
  const [selections] = useState(createSelectionCodec);
  const selectedImages = useMemo(
    () => selections.decode(state.selection, table.count),
    [selections, state.selection, table.count],
  );
  const view = useViewPanels({
    runId,
    state,
    shown,
    reference,
    patchSource,
    table,
    selected: selectedImages,
    pins,
  });
  const selected = useMemo(
    () =>
      view.selectionField === "selection"
        ? selectedImages
        : selections.decode(state.patchSelection, view.count),
    [view.selectionField, selectedImages, selections, state.patchSelection, view.count],
  );

  const colourByText = state.colourBy === "" ? table.colourBy : state.colourBy;
  const colourBy = parseColourBy(colourByText);
  const clusterCount = colourBy.kind === "cluster" ? colourBy.k : 0;
  const clusterPanel = view.panels[view.referenceIndex];
  const clusters = useMemo(
    () =>
      clusterCount > 0 && clusterPanel
        ? pointClusters(clusterPanel, view.count, clusterCount, state.seed)
        : undefined,
    [clusterCount, clusterPanel, view.count, state.seed],
  );
  // Each cluster named by the words that set its images' model captions apart (pooled mode: one image a point),
  // read from a sample of each cluster's points.
  const sample = useMemo(
    () => (clusters === undefined || view.selectionField !== "selection" ? null : clusterSample(clusters)),
    [clusters, view.selectionField],
  );
  const sampleTexts = useQuery({
    ...trpc.explorer.clusterTexts.queryOptions(
      { runId, indices: Array.from(sample?.indices ?? []) },
      { staleTime: 60_000 },
    ),
    enabled: sample !== null && sample.indices.length > 0,
  });
  const clusterNames = useMemo(
    () =>
      sample === null || sampleTexts.data === undefined
        ? undefined
        : clusterKeywords(sampleTexts.data, sample.clusters, clusterCount),
    [sample, sampleTexts.data, clusterCount],
  );
  const categories = useMemo(() => {
    if (colourBy.kind === "cluster")
      return colourClusters(clusters ?? new Uint16Array(view.count).fill(NO_CLUSTER), clusterNames);
    const ofTable = { codes: table.codes, legend: table.legend };
    return view.pointOfItem === null ? ofTable : categoriesOfItems(ofTable, view.pointOfItem);
  }, [colourBy.kind, clusters, clusterNames, view.count, view.pointOfItem, table]);
  const namedClusters = useMemo(
    () =>
      clusters !== undefined && clusterNames !== undefined
        ? { ofPoint: clusters, names: clusterNames }
        : null,
    [clusters, clusterNames],
  );

  const [tool, setTool] = useState<Tool>("pan");
  const rendering = useSharedRendering();
  const { selectionField, count } = view;
  const select = useCallback(
    (indices: ArrayLike<number>) => onStateChange({ [selectionField]: selections.encode(indices, count) }),
    [onStateChange, selectionField, selections, count],
  );
  const open = useCallback((imageId: string) => onStateChange({ image: imageId }), [onStateChange]);
  /** Opens item `index` of the panels: its point's image. */
  const openItem = useCallback(
    (index: number) => {
      const point = view.pointOfItem === null ? index : (view.pointOfItem[index] ?? -1);
      void fetchDetails({ indices: [point] }).then(([details]) => {
        if (details) open(details.imageId);
      });
    },
    [view.pointOfItem, fetchDetails, open],
  );
  const [similarSource, setSimilarSource] = useState("");
  const [is3dShown, setIs3dShown] = useState(false);
  /** Images (search answers) become the image selection, shown in every panel like a lasso's. */
  const selectImages = useCallback(
    (imageIds: readonly string[]) =>
      void fetchDetails({ imageIds }).then((found) =>
        onStateChange({
          mode: "images",
          image: "",
          selection: selections.encode(
            found.map((point) => point.index),
            table.count,
          ),
        }),
      ),
    [onStateChange, fetchDetails, selections, table.count],
  );
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape" && state.image === "" && selected.size > 0) select([]);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [state.image, selected.size, select]);

  const opened = usePointDetails(runId, state.image === "" ? null : { imageIds: [state.image] }).data?.[0];

  if (points.isError || sources.isError) {
    return (
      <p role="alert" className="text-bad">
        {(points.error ?? sources.error)?.message}{" "}
        <Link href="/" className="underline">
          Back to the runs
        </Link>
      </p>
    );
  }
  if (points.data === undefined || sources.data === undefined)
    return <p className="animate-pulse text-muted">Loading the run…</p>;

  const isPatches = state.mode === "patches";
  const method = state.method === "umap" ? "UMAP" : "PCA";
  const title = `${method} of ${run.data?.name ?? "run"}${isPatches ? " · patch tokens" : ""}`;
  const colourTitle = describeColourBy(colourBy);
  const what = isPatches ? `${view.count} patches` : `${table.count} images`;
  return (
    <div data-testid="explorer" className="space-y-5">
      <header className="flex flex-wrap items-end justify-between gap-3">
        <div>
          {isReadOnly ? (
            <p className="text-muted text-sm">Shared view · read-only</p>
          ) : (
            <Link href={`/runs/${runId}`} className="text-muted text-sm hover:text-white">
              ← {run.data?.name ?? "Run"}
            </Link>
          )}
          <h1 className="mt-1 font-semibold text-2xl tracking-tight">Projection explorer</h1>
          <p className="text-muted text-sm">
            {title} · {what} · {view.panels.length} {view.panels.length === 1 ? "panel" : "panels"}
            {isPatches ? "" : ` aligned to ${reference || "—"}`}
          </p>
        </div>
        <div className="flex flex-wrap items-center gap-2">
          {isReadOnly ? null : (
            <SharePanel runId={runId} state={state} pins={view.pins} canShare={view.panels.length > 0} />
          )}
          <ExportMenu
            title={title}
            subtitle={`${what} · coloured by ${colourTitle}`}
            panels={view.panels}
            pointOfItem={view.pointOfItem}
            fetchDetails={fetchDetails}
            categories={categories}
            legendTitle={colourTitle}
            selected={selected}
          />
        </div>
      </header>

      <div className="flex flex-wrap items-center gap-3 rounded-lg border border-line bg-panel px-3 py-2">
        <ToolPicker tool={tool} onTool={setTool} />
        <ModePicker
          mode={state.mode}
          patchSource={patchSource}
          available={available}
          isReadOnly={isReadOnly}
          onChange={onStateChange}
        />
        <LayoutControls value={state} isReadOnly={isReadOnly} onChange={onStateChange} />
        <ColourControls
          colourBy={colourByText}
          labelKeys={table.labelKeys}
          prompts={sources.data.prompts}
          onChange={(next) => onStateChange({ colourBy: next })}
        />
        {isPatches ? null : (
          <PanelPicker
            available={available}
            shown={shown}
            reference={reference}
            otherRuns={otherRuns.data ?? []}
            compareRun={state.compareRun}
            compareSources={state.compareSources}
            isReadOnly={isReadOnly}
            onChange={onStateChange}
          />
        )}
        <span className="ml-auto text-muted text-sm" data-testid="selection-count">
          {selected.size > 0 ? `${selected.size} selected` : "nothing selected"}
        </span>
        {selected.size > 0 ? (
          <button
            type="button"
            onClick={() => select([])}
            title="Clear the selection (Esc)"
            className="rounded border border-line px-3 py-1 text-sm hover:border-accent"
          >
            Clear
          </button>
        ) : null}
      </div>

      {isReadOnly || isPatches || available.length === 0 ? null : (
        <TextSearch runId={runId} sources={available} defaultSource={reference} onSelect={selectImages} />
      )}

      {available.length === 0 ? (
        <p className="text-muted">
          This run has no encoded images yet.{" "}
          <Link href={`/runs/${runId}`} className="underline">
            Follow its progress
          </Link>
          ; the explorer opens once images are encoded.
        </p>
      ) : (
        <ExplorerPanels
          // A new mode is a new set of panels: its own time to first render.
          key={state.mode}
          runId={runId}
          renderer={rendering}
          view={view}
          categories={categories}
          selected={selected}
          tool={tool}
          onSelect={select}
          onOpen={openItem}
          clusters={namedClusters}
        />
      )}

      {isPatches || available.length === 0 ? null : (
        <div className="space-y-2">
          <button
            type="button"
            data-testid="show-3d"
            aria-expanded={is3dShown}
            onClick={() => setIs3dShown((shown) => !shown)}
            className="rounded border border-line px-3 py-1 text-sm hover:border-accent"
          >
            {is3dShown ? "Hide the 3D view" : `3D view of ${reference}`}
          </button>
          {is3dShown ? (
            <Projection3d
              runId={runId}
              source={reference}
              categories={categories}
              selected={selectedImages}
              onSelect={select}
            />
          ) : null}
        </div>
      )}

      <Legend
        title={colourTitle}
        entries={categories.legend}
        onPick={(code) => select(rowsWithCode(categories.codes, code))}
      />
      {view.patchImages !== null && view.panels[0] ? (
        <PatchImages
          images={view.patchImages}
          details={view.patchDetails}
          selectedRows={selected}
          onOpen={open}
        />
      ) : (
        <SelectionGallery
          runId={runId}
          total={table.count}
          selected={selectedImages.size > 0 ? selectedImages.indices : null}
          onOpen={open}
        />
      )}
      {opened ? (
        <ImageViewer
          key={opened.imageId}
          image={{ ...opened, answers: { ...opened.tasks, ...opened.answers } }}
          onClose={() => onStateChange({ image: "" })}
        >
          <SimilarImages
            runId={runId}
            imageId={opened.imageId}
            sources={available}
            source={pickSource(available, similarSource || reference)}
            onSource={setSimilarSource}
            onSelect={(imageIds) => selectImages(imageIds)}
          />
        </ImageViewer>
      ) : null}
    </div>
  );
}
