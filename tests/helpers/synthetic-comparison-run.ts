import { fp32ToFp16 } from "~/lib/tensor";
import type { Db } from "~/server/store/db";
import { gaussian, type SyntheticAnalysisRun, seededRandom } from "./synthetic-analysis-run";

/**
 * Another completed run over a synthetic run's dataset (as a second model would make it): one pooled fp16 vector
 * per source for the images `encodes` picks, each a fresh random linear image of the same latents times
 * `signal`, plus a little noise. `signal` 0 gives features unrelated to the image.
 */
export async function addSyntheticComparisonRun(options: {
  db: Db;
  of: SyntheticAnalysisRun;
  name: string;
  modelDir: string;
  sources: { name: string; dim: number; signal: number }[];
  encodes?: (i: number) => boolean;
  seed?: number;
}): Promise<{ runId: string; imageIds: string[] }> {
  const { db, of } = options;
  const random = seededRandom(options.seed ?? 2);
  const encoded = of.imageIds.flatMap((id, i) => ((options.encodes?.(i) ?? true) ? [{ id, i }] : []));
  const run = await db.run.create({
    data: {
      name: options.name,
      datasetId: of.datasetId,
      modelDir: options.modelDir,
      modelHash: `${options.name}-model`,
      prompts: ["<OCR>"],
      sources: options.sources.map((s) => s.name),
      questions: [],
      status: "completed",
      total: encoded.length,
      done: encoded.length,
    },
  });
  const maps = options.sources.map((source) =>
    Float64Array.from(
      { length: of.latentDim * source.dim },
      () => gaussian(random) / Math.sqrt(of.latentDim),
    ),
  );
  await db.runImage.createMany({
    data: encoded.map(({ id }) => ({ runId: run.id, imageId: id, status: "done" })),
  });
  await db.pooledFeature.createMany({
    data: encoded.flatMap(({ id, i }) =>
      options.sources.map((source, s) => {
        const map = maps[s] as Float64Array;
        const vector = Float32Array.from({ length: source.dim }, (_, d) => {
          let value = 0;
          for (let j = 0; j < of.latentDim; j++)
            value += (of.latents[i * of.latentDim + j] as number) * (map[j * source.dim + d] as number);
          return source.signal * value + 0.05 * gaussian(random);
        });
        const half = fp32ToFp16(vector);
        return {
          runId: run.id,
          imageId: id,
          source: source.name,
          dim: source.dim,
          dtype: "fp16",
          data: new Uint8Array(half.buffer, half.byteOffset, half.byteLength).slice(),
        };
      }),
    ),
  });
  return { runId: run.id, imageIds: encoded.map(({ id }) => id) };
}
