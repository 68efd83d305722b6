import { z } from "zod";
import type { Db } from "~/server/store/db";

const boxSchema = z.object({ label: z.string(), box: z.array(z.number()).length(4) });
const quadSchema = z.object({ label: z.string(), quad: z.array(z.number()).length(8) });

export interface RunImageView {
  imageId: string;
  sha256: string;
  fileName: string;
  caption: string | null;
  labels: unknown;
  width: number | null;
  height: number | null;
  status: "done" | "failed" | "pending";
  error: string | null;
  tasks: {
    prompt: string;
    text: string;
    boxes: z.infer<typeof boxSchema>[];
    quads: z.infer<typeof quadSchema>[];
  }[];
  answers: { question: string; text: string }[];
}

/** One page of a run's images in dataset order, with their answers, boxes and failure reasons. */
export async function listRunImages(options: {
  db: Db;
  runId: string;
  offset: number;
  limit: number;
}): Promise<{ total: number; items: RunImageView[] }> {
  const run = await options.db.run.findUniqueOrThrow({
    where: { id: options.runId },
    select: { datasetId: true },
  });
  const [total, items] = await Promise.all([
    options.db.datasetItem.count({ where: { datasetId: run.datasetId } }),
    options.db.datasetItem.findMany({
      where: { datasetId: run.datasetId },
      orderBy: { position: "asc" },
      skip: options.offset,
      take: options.limit,
      include: {
        image: {
          include: { results: { where: { runId: options.runId }, include: { answers: true } } },
        },
      },
    }),
  ]);
  return {
    total,
    items: items.map((item) => {
      const result = item.image.results[0];
      const answers = result?.answers ?? [];
      return {
        imageId: item.imageId,
        sha256: item.image.sha256,
        fileName: item.fileName,
        caption: item.caption,
        labels: item.labels,
        width: item.image.width,
        height: item.image.height,
        status: result === undefined ? "pending" : result.status === "done" ? "done" : "failed",
        error: result?.error ?? null,
        tasks: answers
          .filter((a) => a.kind === "task")
          .map((a) => ({
            prompt: a.prompt,
            text: a.text,
            boxes: z
              .array(boxSchema)
              .catch([])
              .parse(a.boxes ?? []),
            quads: z
              .array(quadSchema)
              .catch([])
              .parse(a.boxes ?? []),
          })),
        answers: answers
          .filter((a) => a.kind === "question")
          .map((a) => ({ question: a.prompt, text: a.text })),
      };
    }),
  };
}
