import type { Db } from "~/server/store/db";
import { decodePooledVector } from "./feature-file";

export interface PooledMatrix {
  /** Row order of `data`: dataset order of the run's encoded images. */
  imageIds: string[];
  dim: number;
  /** [imageIds.length, dim] */
  data: Float32Array;
}

/** Every pooled vector of one source of a run as one float32 matrix, rows in dataset order. */
export async function loadPooledVectors(options: {
  db: Db;
  runId: string;
  source: string;
}): Promise<PooledMatrix> {
  const rows = await options.db.pooledFeature.findMany({
    where: { runId: options.runId, source: options.source },
    select: { imageId: true, dim: true, dtype: true, data: true },
  });
  const run = await options.db.run.findUniqueOrThrow({
    where: { id: options.runId },
    select: { datasetId: true },
  });
  const order = await options.db.datasetItem.findMany({
    where: { datasetId: run.datasetId },
    orderBy: { position: "asc" },
    select: { imageId: true },
  });
  const rank = new Map(order.map((item, i) => [item.imageId, i]));
  rows.sort((a, b) => (rank.get(a.imageId) ?? 0) - (rank.get(b.imageId) ?? 0));
  const dim = rows[0]?.dim ?? 0;
  const data = new Float32Array(rows.length * dim);
  for (const [i, row] of rows.entries()) data.set(decodePooledVector(row.data, row.dtype), i * dim);
  return { imageIds: rows.map((row) => row.imageId), dim, data };
}
