import { AppError } from "~/server/app-error";
import type { JobQueue } from "~/server/jobs/job-queue";
import { requestKeyOf } from "~/server/jobs/request-key";
import type { Db } from "~/server/store/db";
import { countCaptionedImages, minimumAlignmentImages } from "./alignment-inputs";
import { resolveComparedRuns } from "./alignment-runs";

// The paper does not publish its probe's settings; 300 Adam steps bring the mini model's probes to a plateau.
export const DEFAULT_ALIGNMENT_STEPS = 300;

/**
 * Queues the alignment analysis of a run (paper Figs. 4–5), optionally against other runs of its dataset (Fig. 4:
 * other encoders): one linear probe per visual source of every run against the same captions' language-model
 * features, with one batch size, seed and held-out split for all rows so their losses compare. An identical
 * analysis already queued or running is returned instead of a second one.
 */
export async function requestAlignment(options: {
  db: Db;
  queue: JobQueue;
  runId: string;
  comparisonRunIds?: readonly string[];
  batchSize?: number;
  seed?: number;
  steps?: number;
}): Promise<{ jobId: string }> {
  const { db, runId } = options;
  const batchSize = options.batchSize ?? 32;
  const seed = options.seed ?? 0;
  const steps = options.steps ?? DEFAULT_ALIGNMENT_STEPS;
  const runs = await resolveComparedRuns(db, runId, options.comparisonRunIds);
  const comparisonRunIds = runs.slice(1).map((run) => run.runId);
  const { captioned, withoutCaption } = await countCaptionedImages(
    db,
    runs.map((run) => run.runId),
  );
  const needed = minimumAlignmentImages(batchSize);
  if (captioned < needed) {
    const which = runs.length === 1 ? "this run has" : `the ${runs.length} runs share`;
    throw new AppError(
      "BAD_INPUT",
      `A batch size of ${batchSize} needs at least ${needed} encoded images with captions; ${which} ` +
        `${captioned}${withoutCaption > 0 ? ` (${withoutCaption} more have no caption)` : ""}. ` +
        (runs.length === 1
          ? "Lower the batch size, or add captions in the dataset's manifest."
          : "Lower the batch size, wait for the runs to encode their images, or compare other runs."),
    );
  }
  const payload = {
    runId,
    ...(comparisonRunIds.length > 0 ? { comparisonRunIds } : {}),
    batchSize,
    seed,
    steps,
  };
  const jobId = await options.queue.enqueue("alignment", payload, { key: requestKeyOf(payload) });
  return { jobId };
}
