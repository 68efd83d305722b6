import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LocalFeatureStore } from "~/server/features/feature-store";

// [1 pooled + 2 × 2 patches, 3]
const sources = (seed: number) => ({
  "depth:V": {
    tensor: { data: Float32Array.from({ length: 5 * 3 }, (_, k) => seed + k / 8), dims: [5, 3] },
    grid: [2, 2] as [number, number],
    hasPooledToken: true,
  },
});
const image = (sha: string, seed = 1) =>
  ({ runId: "run1", imageSha256: sha, model: "m", dtype: "fp32", sources: sources(seed) }) as const;

let work: string;
beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-feature-store-"));
});
afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function filesUnder(folder: string): Promise<string[]> {
  const entries = await fs.readdir(folder, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

describe("the local feature store on a shared folder (FEATURES_DIR)", () => {
  it("writes where the workers point it and serves the same names to a web server with another DATA_DIR", async () => {
    const shared = path.join(work, "mount", "features");
    const worker = new LocalFeatureStore(path.join(work, "worker-data"), shared);
    const web = new LocalFeatureStore(path.join(work, "web-data"), shared);
    const { file } = await worker.writeImage(image("a".repeat(64)));
    expect(file.path).toBe(path.join("features", "run1", `${"a".repeat(64)}.safetensors`));
    expect(await filesUnder(shared)).toEqual([`${"a".repeat(64)}.safetensors`]);
    expect(await filesUnder(path.join(work, "worker-data"))).toEqual([]);
    expect(await web.verify(file.path, file.sha256)).toBe(true);
    const grid = await web.readPatchGrid(file.path, "depth:V", "image a");
    expect(grid.grid).toEqual([2, 2]);
    expect(grid.tokens.dims).toEqual([4, 3]);
    // The pooled token (row 0) is dropped: the first patch token is row 1.
    expect(Array.from(grid.tokens.data.slice(0, 3))).toEqual([1 + 3 / 8, 1 + 4 / 8, 1 + 5 / 8]);
  });

  it("leaves one whole file and no temp file when two workers write the same image at once", async () => {
    const shared = path.join(work, "race");
    const one = new LocalFeatureStore(path.join(work, "one"), shared);
    const two = new LocalFeatureStore(path.join(work, "two"), shared);
    const writes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? one : two).writeImage(image("b".repeat(64)))),
    );
    expect(new Set(writes.map((write) => write.file.sha256)).size).toBe(1);
    expect(await filesUnder(shared)).toEqual([`${"b".repeat(64)}.safetensors`]);
    const bytes = await fs.readFile(path.join(shared, "run1", `${"b".repeat(64)}.safetensors`));
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(writes[0]?.file.sha256);
  });

  it("refuses names outside its folder", async () => {
    const store = new LocalFeatureStore(path.join(work, "data"));
    await expect(store.readStored("features/../../etc/passwd")).rejects.toThrow(/not a feature file/);
    await expect(store.readStored("images/ab/cd")).rejects.toThrow(/not a feature file/);
    expect(await store.removeRun("gone")).toBe(0);
  });
});
