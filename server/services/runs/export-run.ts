import fs from "node:fs/promises";
import path from "node:path";
import { encodeNpy, encodeSafetensors, type SafetensorsTensor } from "~/lib/codec";
import { AppError } from "~/server/app-error";
import type { FeatureStore } from "~/server/features/feature-store";
import { loadPooledVectors } from "~/server/features/pooled-vectors";
import type { Db } from "~/server/store/db";

export type ExportFormat = "safetensors" | "npy" | "csv";

export interface ExportSummary {
  outDir: string;
  files: string[];
  images: number;
}

/** File-system-safe name of a source: `breadth:<OCR>` → `breadth_OCR`. */
export function sourceFileName(source: string): string {
  return source.replace(/[<>]/g, "").replace(/[^A-Za-z0-9._-]+/g, "_");
}

/**
 * Writes a run's stored features where Python reads them directly: safetensors (one file per image, as stored,
 * plus the pooled vectors), NumPy `.npy` (per source: tokens [N, T, D] and pooled [N, D]), or CSV (answers and
 * pooled vectors). `images.csv` lists the row order in every format.
 */
export async function exportRun(options: {
  db: Db;
  features: FeatureStore;
  runId: string;
  format: ExportFormat;
  outDir: string;
}): Promise<ExportSummary> {
  const run = await options.db.run.findUnique({ where: { id: options.runId } });
  if (run === null) throw new AppError("NOT_FOUND", `No run ${options.runId}.`);
  const rows = await options.db.runImage.findMany({
    where: { runId: run.id, status: "done" },
    include: {
      image: {
        include: {
          items: { where: { datasetId: run.datasetId }, select: { fileName: true, position: true } },
        },
      },
      answers: true,
    },
  });
  rows.sort((a, b) => (a.image.items[0]?.position ?? 0) - (b.image.items[0]?.position ?? 0));
  if (rows.length === 0)
    throw new AppError("BAD_INPUT", `Run "${run.name}" has no encoded images to export.`);
  const sources = run.sources as string[];
  const outDir = path.resolve(options.outDir);
  await fs.mkdir(outDir, { recursive: true });
  const written: string[] = [];
  const write = async (name: string, data: string | Uint8Array) => {
    await fs.writeFile(path.join(outDir, name), data);
    written.push(name);
  };
  await write(
    "images.csv",
    csv([
      ["index", "file_name", "sha256"],
      ...rows.map((r, i) => [String(i), r.image.items[0]?.fileName ?? "", r.image.sha256]),
    ]),
  );

  const pooledMatrix = async (source: string): Promise<{ data: Float32Array; dim: number }> => {
    const matrix = await loadPooledVectors({ db: options.db, runId: run.id, source });
    // Same rows, same order as images.csv: the run's encoded images in dataset order.
    if (matrix.imageIds.join() !== rows.map((r) => r.imageId).join())
      throw new Error(`pooled ${source} rows do not match the run's images`);
    return matrix;
  };

  if (options.format === "safetensors") {
    for (const r of rows) {
      if (r.featureFile === null) continue;
      await options.features.copyTo(r.featureFile, path.join(outDir, `${r.image.sha256}.safetensors`));
      written.push(`${r.image.sha256}.safetensors`);
    }
    const tensors: Record<string, SafetensorsTensor> = {};
    for (const source of sources) {
      const { data, dim } = await pooledMatrix(source);
      tensors[source] = { dtype: "F32", shape: [rows.length, dim], data };
    }
    await write(
      "pooled.safetensors",
      encodeSafetensors(tensors, {
        run: run.id,
        rows: "images.csv order",
        pooling: "mean over patch tokens",
      }),
    );
  } else if (options.format === "npy") {
    for (const source of sources) {
      const grids = await Promise.all(
        rows.map(async (r) =>
          r.featureFile ? (await options.features.readStored(r.featureFile)).tensors[source] : undefined,
        ),
      );
      const first = grids.find((g) => g !== undefined);
      if (first !== undefined) {
        const [tokens = 0, dim = 0] = first.shape;
        const stacked = new (first.dtype === "F16" ? Uint16Array : Float32Array)(rows.length * tokens * dim);
        for (const [i, grid] of grids.entries())
          if (grid) stacked.set(grid.data as Uint16Array & Float32Array, i * tokens * dim);
        const array =
          first.dtype === "F16"
            ? { dtype: "F16" as const, shape: [rows.length, tokens, dim], data: stacked as Uint16Array }
            : { dtype: "F32" as const, shape: [rows.length, tokens, dim], data: stacked as Float32Array };
        await write(`${sourceFileName(source)}.tokens.npy`, encodeNpy(array));
      }
      const { data, dim } = await pooledMatrix(source);
      await write(
        `${sourceFileName(source)}.pooled.npy`,
        encodeNpy({ dtype: "F32", shape: [rows.length, dim], data }),
      );
    }
  } else {
    const answerRows = rows.flatMap((r) =>
      r.answers.map((a) => [
        r.image.items[0]?.fileName ?? "",
        r.image.sha256,
        a.kind,
        a.prompt,
        a.text,
        a.boxes === null ? "" : JSON.stringify(a.boxes),
      ]),
    );
    await write(
      "answers.csv",
      csv([["file_name", "sha256", "kind", "prompt", "text", "boxes"], ...answerRows]),
    );
    for (const source of sources) {
      const { data, dim } = await pooledMatrix(source);
      const header = ["file_name", ...Array.from({ length: dim }, (_, j) => `d${j}`)];
      const lines = rows.map((r, i) => [
        r.image.items[0]?.fileName ?? "",
        ...Array.from(data.subarray(i * dim, (i + 1) * dim), (v) => String(v)),
      ]);
      await write(`${sourceFileName(source)}.pooled.csv`, csv([header, ...lines]));
    }
  }
  return { outDir, files: written, images: rows.length };
}

function csv(rows: string[][]): string {
  const cell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  return `${rows.map((row) => row.map(cell).join(",")).join("\n")}\n`;
}
