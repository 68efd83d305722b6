import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { SafetensorsTensor } from "~/lib/codec";
import {
  decodeFeatureFile,
  encodeFeatureFile,
  type FeatureDtype,
  type PatchGrid,
  type PooledVector,
  patchGridOf,
  type SourceFeatures,
} from "./feature-file";

export interface StoredFeatureFile {
  /** The store's name for the file (relative to DATA_DIR for the local store), kept on the image's row. */
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * Where feature files live. Callers hand over an image's sources and get back the stored file and its pooled
 * vectors; they read patch grids or stored tensors by the file's path and never see the format (feature-file.ts).
 * The local store is a folder under DATA_DIR; a scale-out store is a shared mount behind the same interface.
 */
export interface FeatureStore {
  /** Writes one image's sources atomically (a reader never sees half a file). */
  writeImage(options: {
    runId: string;
    imageSha256: string;
    /** Fingerprint of the model that made the features. */
    model: string;
    dtype: FeatureDtype;
    sources: Readonly<Record<string, SourceFeatures>>;
  }): Promise<{ file: StoredFeatureFile; pooled: PooledVector[] }>;
  /** One source's patch tokens as float32 (pooled token dropped); `what` names the image in errors. */
  readPatchGrid(filePath: string, source: string, what: string): Promise<PatchGrid>;
  /** Every grid as stored (fp16 stays fp16) and the metadata: for exports that keep the stored values. */
  readStored(
    filePath: string,
  ): Promise<{ tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> }>;
  /** Copies the file as it is to `destination` (a local path). */
  copyTo(filePath: string, destination: string): Promise<void>;
  /** True when the file exists and its sha256 is `sha256`. */
  verify(filePath: string, sha256: string): Promise<boolean>;
  /** Removes every feature file of a run (a deleted run); returns how many files went. */
  removeRun(runId: string): Promise<number>;
}

export class LocalFeatureStore implements FeatureStore {
  constructor(private readonly dataDir: string) {}

  async writeImage(options: Parameters<FeatureStore["writeImage"]>[0]) {
    const { bytes, pooled } = encodeFeatureFile(options);
    const relative = path.join("features", options.runId, `${options.imageSha256}.safetensors`);
    const target = this.absolutePath(relative);
    await fs.mkdir(path.dirname(target), { recursive: true });
    // Write, flush, then rename: a reader (or a resumed run) never sees a half-written file.
    const temp = `${target}.${randomUUID()}.tmp`;
    const handle = await fs.open(temp, "w");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, target);
    const file = {
      path: relative,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      bytes: bytes.byteLength,
    };
    return { file, pooled };
  }

  async readPatchGrid(filePath: string, source: string, what: string): Promise<PatchGrid> {
    return patchGridOf(await this.readStored(filePath), source, what);
  }

  async readStored(filePath: string) {
    return decodeFeatureFile(new Uint8Array(await fs.readFile(this.absolutePath(filePath))));
  }

  async copyTo(filePath: string, destination: string): Promise<void> {
    await fs.copyFile(this.absolutePath(filePath), destination);
  }

  async verify(filePath: string, sha256: string): Promise<boolean> {
    const bytes = await fs.readFile(this.absolutePath(filePath)).catch(() => null);
    return bytes !== null && createHash("sha256").update(bytes).digest("hex") === sha256;
  }

  async removeRun(runId: string): Promise<number> {
    // Feature files are per run (features/<runId>/...), so nothing here is shared with another run.
    if (!/^[A-Za-z0-9_-]+$/.test(runId)) throw new Error(`not a run id: "${runId}"`);
    const folder = this.absolutePath(path.join("features", runId));
    const names = await fs.readdir(folder).catch(() => []);
    await fs.rm(folder, { recursive: true, force: true });
    return names.filter((name) => name.endsWith(".safetensors")).length;
  }

  private absolutePath(relativePath: string): string {
    const full = path.resolve(this.dataDir, relativePath);
    if (!full.startsWith(path.resolve(this.dataDir) + path.sep))
      throw new Error(`feature path escapes DATA_DIR: ${relativePath}`);
    return full;
  }
}
