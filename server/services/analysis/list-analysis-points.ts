import { keptSourcesOf } from "~/server/services/runs/kept-sources";
import type { Db } from "~/server/store/db";

/** What a point of a projection shows on hover and can be coloured by: one per image of the run. */
export interface AnalysisPoint {
  imageId: string;
  sha256: string;
  fileName: string;
  caption: string | null;
  /** The manifest's labels (label name → value). */
  labels: Record<string, unknown>;
  split: string | null;
  status: "done" | "failed" | "pending";
  /** Task answers by task token, e.g. { "<OCR>": "STOP" }. */
  tasks: Record<string, string>;
  /** Language-model answers by question. */
  answers: Record<string, string>;
}

/**
 * Every image of a run in dataset order with its metadata and answers (no boxes, no features); with `imageIds`,
 * only those images (the explorer's per-point details).
 */
export async function listAnalysisPoints(options: {
  db: Db;
  runId: string;
  imageIds?: readonly string[];
}): Promise<AnalysisPoint[]> {
  const { db, runId } = options;
  const only = options.imageIds === undefined ? {} : { imageId: { in: [...options.imageIds] } };
  await keptSourcesOf(db, runId);
  const run = await db.run.findUniqueOrThrow({ where: { id: runId }, select: { datasetId: true } });
  const [items, results] = await Promise.all([
    db.datasetItem.findMany({
      where: { datasetId: run.datasetId, ...only },
      orderBy: { position: "asc" },
      select: {
        imageId: true,
        fileName: true,
        caption: true,
        labels: true,
        split: true,
        image: { select: { sha256: true } },
      },
    }),
    db.runImage.findMany({
      where: { runId, ...only },
      select: {
        imageId: true,
        status: true,
        answers: { select: { kind: true, prompt: true, text: true } },
      },
    }),
  ]);
  const resultOf = new Map(results.map((r) => [r.imageId, r]));
  return items.map((item) => {
    const result = resultOf.get(item.imageId);
    const answers = result?.answers ?? [];
    return {
      imageId: item.imageId,
      sha256: item.image.sha256,
      fileName: item.fileName,
      caption: item.caption,
      labels: isRecord(item.labels) ? item.labels : {},
      split: item.split,
      status: result === undefined ? "pending" : result.status === "done" ? "done" : "failed",
      tasks: Object.fromEntries(answers.filter((a) => a.kind === "task").map((a) => [a.prompt, a.text])),
      answers: Object.fromEntries(
        answers.filter((a) => a.kind === "question").map((a) => [a.prompt, a.text]),
      ),
    };
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
