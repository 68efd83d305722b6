import type { Db } from "~/server/store/db";
import type { SearchHit } from "./search-types";

/** Hits in the given order with each image's file name, caption and content hash from the run's dataset. */
export async function describeHits(options: {
  db: Db;
  runId: string;
  imageIds: readonly string[];
  distances: ArrayLike<number>;
}): Promise<SearchHit[]> {
  const run = await options.db.run.findUniqueOrThrow({
    where: { id: options.runId },
    select: { datasetId: true },
  });
  const items = await options.db.datasetItem.findMany({
    where: { datasetId: run.datasetId, imageId: { in: [...options.imageIds] } },
    select: { imageId: true, fileName: true, caption: true, image: { select: { sha256: true } } },
  });
  const byId = new Map(items.map((item) => [item.imageId, item]));
  return options.imageIds.flatMap((imageId, i) => {
    const item = byId.get(imageId);
    if (item === undefined) return [];
    return [
      {
        imageId,
        sha256: item.image.sha256,
        fileName: item.fileName,
        caption: item.caption,
        distance: options.distances[i] ?? 0,
      },
    ];
  });
}
