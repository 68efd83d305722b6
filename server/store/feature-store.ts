import { createHash, randomUUID } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import { decodeSafetensors, encodeSafetensors, type SafetensorsTensor } from "~/lib/codec";

export interface StoredFeatureFile {
  /** Relative to DATA_DIR. */
  path: string;
  sha256: string;
  bytes: number;
}

/**
 * Token grids of one (run, image) as one safetensors file. The embedded store writes under DATA_DIR; a
 * scale-out store would write to shared storage behind the same interface.
 */
export interface FeatureStore {
  write(options: {
    runId: string;
    imageSha256: string;
    tensors: Record<string, SafetensorsTensor>;
    metadata: Record<string, string>;
  }): Promise<StoredFeatureFile>;
  read(
    relativePath: string,
  ): Promise<{ tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> }>;
  /** True when the file exists and its sha256 is `sha256`. */
  verify(relativePath: string, sha256: string): Promise<boolean>;
  absolutePath(relativePath: string): string;
}

export class LocalFeatureStore implements FeatureStore {
  constructor(private readonly dataDir: string) {}

  absolutePath(relativePath: string): string {
    const full = path.resolve(this.dataDir, relativePath);
    if (!full.startsWith(path.resolve(this.dataDir) + path.sep))
      throw new Error(`feature path escapes DATA_DIR: ${relativePath}`);
    return full;
  }

  async write(options: {
    runId: string;
    imageSha256: string;
    tensors: Record<string, SafetensorsTensor>;
    metadata: Record<string, string>;
  }): Promise<StoredFeatureFile> {
    const bytes = encodeSafetensors(options.tensors, options.metadata);
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
    return {
      path: relative,
      sha256: createHash("sha256").update(bytes).digest("hex"),
      bytes: bytes.byteLength,
    };
  }

  async read(relativePath: string) {
    return decodeSafetensors(new Uint8Array(await fs.readFile(this.absolutePath(relativePath))));
  }

  async verify(relativePath: string, sha256: string): Promise<boolean> {
    const bytes = await fs.readFile(this.absolutePath(relativePath)).catch(() => null);
    return bytes !== null && createHash("sha256").update(bytes).digest("hex") === sha256;
  }
}
