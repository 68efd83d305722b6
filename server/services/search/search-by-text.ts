import type { LinearProjection } from "~/lib/analysis";
import { float32OfBase64 } from "~/lib/codec/base64";
import { meanOfPatchTokens } from "~/lib/tensor";
import { AppError } from "~/server/app-error";
import type { JobQueue } from "~/server/jobs/job-queue";
import { type AlignmentProbe, alignmentResultSchema } from "~/server/services/analysis/alignment-types";
import type { TextFeatureProvider } from "~/server/services/analysis/text-features";
import type { Db } from "~/server/store/db";
import { getRunSourceIndex } from "./cosine-index-cache";
import { describeHits } from "./describe-hits";
import type { SearchHit, SearchStats } from "./search-types";

export type TextSearch =
  | { status: "no-alignment"; reason: string }
  | (SearchStats & { status: "ready"; text: string; alignmentJobId: string; hits: SearchHit[] });

/**
 * Images of a run ranked against a phrase: the phrase is embedded by the language model (its tokens' last hidden
 * states, mean-pooled as the alignment job pools captions), and each image's pooled source vector is mapped
 * through the run's latest trained alignment probe P into that space; the k nearest by cosine come back.
 * Without an alignment analysis that kept this source's probe, the answer says so instead.
 */
export async function searchByText(options: {
  db: Db;
  queue: JobQueue;
  textFeatures: TextFeatureProvider;
  runId: string;
  source: string;
  text: string;
  k: number;
}): Promise<TextSearch> {
  const { db, runId, source, k } = options;
  const run = await db.run.findUnique({ where: { id: runId }, select: { id: true } });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${runId}.`);
  const latest = await options.queue.latestCompleted("alignment", runId);
  const parsed = latest === null ? null : alignmentResultSchema.safeParse(latest.result);
  if (latest === null || parsed === null || !parsed.success)
    return { status: "no-alignment", reason: "This run has no alignment analysis yet." };
  const probe = parsed.data.probes?.find((p) => p.source === source);
  if (probe === undefined) {
    return {
      status: "no-alignment",
      reason: `The run's alignment analysis kept no probe of ${source}; run it again to search by text.`,
    };
  }
  const [features] = await options.textFeatures.embed([options.text]).catch((error: unknown) => {
    throw new AppError(
      "UNAVAILABLE",
      "The language model could not embed the phrase; is the inference server up?",
      {
        cause: error,
      },
    );
  });
  if (features === undefined) throw new AppError("UNAVAILABLE", "The language model returned no features.");
  const query = meanOfPatchTokens(features);
  const { entry, isNew } = await getRunSourceIndex({
    db,
    runId,
    source,
    probe: { key: `probe:${latest.id}`, projection: projectionOf(probe) },
  });
  if (query.length !== entry.index.dim) {
    throw new AppError(
      "CONFLICT",
      `The language model gives ${query.length}-wide features but the probe maps to ${entry.index.dim}; ` +
        "run the alignment analysis again with this model.",
    );
  }
  const start = performance.now();
  const answer = entry.index.search(query, k);
  const searchMs = performance.now() - start;
  return {
    status: "ready",
    text: options.text,
    alignmentJobId: latest.id,
    source,
    method: entry.index.method,
    indexed: entry.index.size,
    loadMs: isNew ? entry.loadMs : 0,
    searchMs,
    hits: await describeHits({
      db,
      runId,
      imageIds: Array.from(answer.rows, (row) => entry.imageIds[row] ?? ""),
      distances: answer.distances,
    }),
  };
}

function projectionOf(probe: AlignmentProbe): LinearProjection {
  return {
    weight: { data: Float64Array.from(float32OfBase64(probe.weight)), dims: probe.dims },
    bias: Float64Array.from(float32OfBase64(probe.bias)),
  };
}
