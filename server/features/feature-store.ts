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
  /** The store's name for the file (`features/<runId>/<sha256>.safetensors`), kept on the image's row. */
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * Where feature files live. Callers hand over an image's sources and get back the stored file and its pooled
 * vectors; they read patch grids or stored tensors by the file's path and never see the format (feature-file.ts).
 * The local store is a folder, DATA_DIR/features or FEATURES_DIR: in scale-out a shared mount (NFS) that every worker
 * writes to and the web server reads from.
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

/** The prefix of every stored name: names stay the same wherever the folder is mounted. */
const STORED_PREFIX = "features";

export class LocalFeatureStore implements FeatureStore {
  private readonly root: string;

  /** Files under `featuresDir` (FEATURES_DIR), by default `<dataDir>/features`. */
  constructor(dataDir: string, featuresDir?: string) {
    this.root = path.resolve(featuresDir ?? path.join(dataDir, STORED_PREFIX));
  }

  async writeImage(options: Parameters<FeatureStore["writeImage"]>[0]) {
    const { bytes, pooled } = encodeFeatureFile(options);
    const relative = path.join(STORED_PREFIX, options.runId, `${options.imageSha256}.safetensors`);
    const target = this.absolutePath(relative);
    await fs.mkdir(path.dirname(target), { recursive: true });
    // Write, flush, then rename within the same folder: a reader (or a resumed run) never sees a half-written file,
    // and on a shared mount (NFS) the rename is atomic on the server, so two workers writing the same image (a batch
    // redone after a crash) leave one whole file. The temp name is unique per writer.
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
    const folder = this.absolutePath(path.join(STORED_PREFIX, runId));
    const names = await fs.readdir(folder).catch(() => []);
    await fs.rm(folder, { recursive: true, force: true });
    return names.filter((name) => name.endsWith(".safetensors")).length;
  }

  private absolutePath(storedName: string): string {
    const [prefix, ...rest] = storedName.split(/[\\/]/);
    const full = path.resolve(this.root, ...rest);
    if (prefix !== STORED_PREFIX || !full.startsWith(this.root + path.sep))
      throw new Error(`not a feature file of this store: ${storedName}`);
    return full;
  }
}
