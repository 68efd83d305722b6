import { AppError } from "~/server/app-error";
import type { JobQueue } from "~/server/jobs/job-queue";
import { requestKeyOf } from "~/server/jobs/request-key";
import { assertKeptSource, keptSourcesOf } from "~/server/services/runs/kept-sources";
import type { Db } from "~/server/store/db";
import { cacheKeyOf, findCachedProjection, loadPooledInput, selectPatchInput } from "./projection-inputs";
import {
  type PatchProjectionPanel,
  type ProjectionPanel,
  toAlignedPanels,
  toPatchPanel,
} from "./projection-panels";
import {
  MAX_PATCH_IMAGES,
  minimumPoints,
  type ProjectionMethodName,
  type ProjectionParams,
} from "./projection-params";

export type ProjectionsRequestResult =
  | { status: "ready"; panels: ProjectionPanel[] }
  | { status: "pending"; jobId: string };

// A small-multiples view with more panels than this is unreadable; the limit also bounds one job's work.
const MAX_PANELS = 16;

/**
 * The layouts of several sources of a run with one method and one set of parameters. When every panel is cached
 * (same features, same rows, same parameters) they come back at once, aligned to the reference source's panel;
 * otherwise one `projection` job computes the missing ones and the caller asks again when it completes.
 */
export async function requestProjections(options: {
  db: Db;
  queue: JobQueue;
  runId: string;
  sources: readonly string[];
  method: ProjectionMethodName;
  params: ProjectionParams;
  referenceSource?: string;
  /** False: ready panels come without their image ids and coordinates (the explorer reads those as binary). */
  withPoints?: boolean;
}): Promise<ProjectionsRequestResult> {
  const { db, runId, method, params } = options;
  const sources = [...new Set(options.sources)];
  if (sources.length === 0) throw new AppError("BAD_INPUT", "Pick at least one source.");
  if (sources.length > MAX_PANELS) throw new AppError("BAD_INPUT", `Pick at most ${MAX_PANELS} sources.`);
  const referenceSource = options.referenceSource ?? sources[0];
  if (referenceSource === undefined || !sources.includes(referenceSource))
    throw new AppError(
      "BAD_INPUT",
      `The reference source "${options.referenceSource}" is not among the panels.`,
    );
  const kept = await keptSourcesOf(db, runId);
  for (const source of sources) assertKeptSource(kept.sources, source);

  const cached = [];
  for (const source of sources) {
    const input = await loadPooledInput({ db, runId, source });
    const n = input.points.imageIds.length;
    if (n < minimumPoints(method, params)) {
      throw new AppError(
        "BAD_INPUT",
        `${source} has ${n} encoded images; ${method.toUpperCase()} needs at least ${minimumPoints(method, params)}` +
          (method === "umap" ? " (more than the neighbour count: lower it or encode more images)." : "."),
      );
    }
    cached.push(await findCachedProjection(db, cacheKeyOf(input.inputHash, method, params)));
  }
  if (cached.every((row) => row !== null)) {
    const referenceId = cached[sources.indexOf(referenceSource)]?.id ?? "";
    const panels = toAlignedPanels(cached, referenceId);
    if (options.withPoints !== false) return { status: "ready", panels };
    return { status: "ready", panels: panels.map((panel) => ({ ...panel, imageIds: [], coords: "" })) };
  }
  const payload = { mode: "pooled" as const, runId, sources, method, params: { ...params } };
  const jobId = await options.queue.enqueue("projection", payload, { key: requestKeyOf(payload) });
  return { status: "pending", jobId };
}

export type PatchProjectionRequestResult =
  | { status: "ready"; panel: PatchProjectionPanel }
  | { status: "pending"; jobId: string };

/** Every patch token of a few images of one source as a point (cached like pooled layouts). */
export async function requestPatchProjection(options: {
  db: Db;
  queue: JobQueue;
  runId: string;
  source: string;
  imageIds: readonly string[];
  method: ProjectionMethodName;
  params: ProjectionParams;
}): Promise<PatchProjectionRequestResult> {
  const { db, runId, method, params } = options;
  if (options.imageIds.length === 0) throw new AppError("BAD_INPUT", "Pick at least one image.");
  if (options.imageIds.length > MAX_PATCH_IMAGES)
    throw new AppError("BAD_INPUT", `Pick at most ${MAX_PATCH_IMAGES} images for a patch projection.`);
  const kept = await keptSourcesOf(db, runId);
  assertKeptSource(kept.sources, options.source);
  const selection = await selectPatchInput({
    db,
    runId,
    source: options.source,
    imageIds: options.imageIds,
  });
  const cached = await findCachedProjection(db, cacheKeyOf(selection.inputHash, method, params));
  if (cached !== null) return { status: "ready", panel: toPatchPanel(cached) };
  const payload = {
    mode: "patch" as const,
    runId,
    source: options.source,
    imageIds: [...options.imageIds],
    method,
    params: { ...params },
  };
  const jobId = await options.queue.enqueue("projection", payload, { key: requestKeyOf(payload) });
  return { status: "pending", jobId };
}
