import { keptSourcesOf } from "~/server/services/runs/kept-sources";
import type { Db } from "~/server/store/db";

export interface AnalysisSource {
  /** "depth:V", "breadth:<OCR>", "fused", … */
  source: string;
  /** Width of the source's features (0 before any image is encoded). */
  dim: number;
  /** Images with a pooled vector of this source. */
  images: number;
}

/** The run's kept feature sources with how many images each has so far: what projections and alignment offer. */
export async function listAnalysisSources(options: {
  db: Db;
  runId: string;
}): Promise<{ sources: AnalysisSource[]; prompts: string[] }> {
  const kept = await keptSourcesOf(options.db, options.runId);
  const counts = await options.db.pooledFeature.groupBy({
    by: ["source"],
    where: { runId: options.runId },
    _count: { _all: true },
    _max: { dim: true },
  });
  const bySource = new Map(counts.map((c) => [c.source, c]));
  return {
    prompts: kept.prompts,
    sources: kept.sources.map((source) => {
      const count = bySource.get(source);
      return { source, dim: count?._max.dim ?? 0, images: count?._count._all ?? 0 };
    }),
  };
}
