import { execFile, spawn } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeNpy, decodeSafetensors } from "~/lib/codec";
import { fp16ToFp32 } from "~/lib/tensor";
import { LocalFeatureStore } from "~/server/features/feature-store";
import { createDb, type Db } from "~/server/store/db";
import { MINI_MODEL_DIR } from "../helpers/mini-model-paths";
import { pngHeaderOnly } from "../helpers/png-bytes";
import { ROOT, waitUntil } from "../helpers/processes";
import { writeSceneImages } from "../helpers/scene-images";
import { createMigratedDatabase, type TestDatabase } from "../helpers/test-database";

const run = promisify(execFile);
const FVL = path.join(ROOT, "bin", "fvl.mjs");

let work: string;
let env: NodeJS.ProcessEnv;
let db: Db;
let database: TestDatabase;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-runs-"));
  env = {
    ...process.env,
    DATA_DIR: path.join(work, "data"),
    MODEL_DIR: MINI_MODEL_DIR,
    // No shared inference server in this test: each fvl command starts its own on a free port.
    INFERENCE_PORT: "1",
    JOB_STALE_AFTER_MS: "1000",
    ORT_INTRA_OP_THREADS: "1",
  };
  await fs.mkdir(env.DATA_DIR as string, { recursive: true });
  database = await createMigratedDatabase(env.DATA_DIR as string);
  env.DATABASE_URL = database.url;
});

afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
  await fs.rm(work, { recursive: true, force: true });
});

function fvl(args: string[]) {
  return run(process.execPath, [FVL, ...args], { env, cwd: work, maxBuffer: 1 << 24 });
}

function openDb(): Db {
  db ??= createDb(database.url);
  return db;
}

describe("fvl encode / runs / export", () => {
  it("encodes a folder end to end, recording every bad file as failed with its reason", {
    timeout: 180_000,
  }, async () => {
    const folder = path.join(work, "mixed");
    await writeSceneImages(folder, 4);
    await fs.writeFile(path.join(folder, "zero.png"), "");
    await fs.writeFile(
      path.join(folder, "corrupt.png"),
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]),
    );
    await fs.writeFile(path.join(folder, "notes.txt"), "a text file, not an image");
    await fs.writeFile(path.join(folder, "vector.svgz"), Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]));
    await fs.writeFile(path.join(folder, "bomb.png"), pngHeaderOnly(100_000, 100_000));

    const { stdout, stderr } = await fvl([
      "encode",
      folder,
      "--name",
      "mixed",
      "--question",
      "How many objects are there?",
    ]);
    const runId = stdout.trim().split("\n").at(-1) ?? "";
    const rows = await openDb().runImage.findMany({
      where: { runId },
      include: { image: { include: { items: true } } },
    });
    const byName = Object.fromEntries(rows.map((r) => [r.image.items[0]?.fileName, r]));
    expect(Object.keys(byName).sort()).toEqual(
      [
        "bomb.png",
        "corrupt.png",
        "notes.txt",
        "scene-000.png",
        "scene-001.png",
        "scene-002.png",
        "scene-003.png",
        "vector.svgz",
        "zero.png",
      ].sort(),
    );
    for (const name of ["scene-000.png", "scene-001.png", "scene-002.png", "scene-003.png"])
      expect(byName[name]?.status).toBe("done");
    for (const name of ["zero.png", "corrupt.png", "notes.txt", "vector.svgz", "bomb.png"]) {
      expect(byName[name]?.status, name).toBe("failed");
      expect(byName[name]?.error?.length, name).toBeGreaterThan(5);
    }
    expect(byName["bomb.png"]?.error).toMatch(/pixels/);
    const runRow = await openDb().run.findUniqueOrThrow({ where: { id: runId } });
    expect([runRow.status, runRow.done, runRow.failed, runRow.total]).toEqual(["completed", 4, 5, 9]);
    const answers = await openDb().answer.findMany({ where: { runImage: { runId } } });
    expect(answers.filter((a) => a.kind === "task")).toHaveLength(4 * 3);
    expect(answers.filter((a) => a.kind === "question")).toHaveLength(4);
    const pooled = await openDb().pooledFeature.count({ where: { runId } });
    expect(pooled).toBe(4 * 5);

    const { stdout: listing } = await fvl(["runs"]);
    expect(listing).toMatch(new RegExp(`${runId}\\s+completed\\s+4/9\\s+5 failed\\s+mixed`));

    // The encode ends with each failed file and its reason; `fvl runs <name>` shows the run and them again.
    const failures = ["zero.png", "corrupt.png", "notes.txt", "vector.svgz", "bomb.png"];
    expect(stderr).toMatch(/5 failed:\n/);
    for (const name of failures) {
      const line = stderr.split("\n").find((l) => l.startsWith(`  ${name}: `));
      expect(line, name).toBe(`  ${name}: ${byName[name]?.error}`);
    }
    const { stdout: detail } = await fvl(["runs", "mixed"]);
    expect(detail).toMatch(new RegExp(`^run\\s+mixed \\(${runId}\\)$`, "m"));
    expect(detail).toMatch(/^status\s+completed$/m);
    expect(detail).toMatch(/^images\s+4 encoded, 5 failed of 9$/m);
    expect(detail).toMatch(/^questions\s+How many objects are there\?$/m);
    for (const name of failures) expect(detail).toContain(`  ${name}: ${byName[name]?.error}`);
    const missing = await fvl(["runs", "no such run"]).then(
      () => "",
      (error: { stderr: string }) => error.stderr,
    );
    expect(missing).toMatch(/No run with id or name "no such run"/);
  });

  it("survives SIGKILL mid-run: re-running completes it with no duplicate, no missing image, every file verified", {
    timeout: 240_000,
  }, async () => {
    const folder = path.join(work, "crash");
    const names = await writeSceneImages(folder, 12);
    const child = spawn(process.execPath, [FVL, "encode", folder, "--name", "crash", "--batch-size", "2"], {
      env,
      cwd: work,
      detached: true,
      stdio: "ignore",
    });
    await waitUntil(
      async () => {
        const runRow = await openDb().run.findUnique({ where: { name: "crash" } });
        return runRow !== null && runRow.done >= 2;
      },
      120_000,
      "the first batches",
    );
    // Kill the CLI and the inference server it started (its process group), mid-run.
    if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    const killed = await openDb().run.findUniqueOrThrow({ where: { name: "crash" } });
    expect(killed.done).toBeLessThan(names.length);

    await fvl(["encode", folder, "--name", "crash", "--batch-size", "2"]);
    const done = await openDb().run.findUniqueOrThrow({ where: { name: "crash" } });
    expect([done.status, done.done, done.failed]).toEqual(["completed", names.length, 0]);
    const rows = await openDb().runImage.findMany({ where: { runId: done.id } });
    expect(new Set(rows.map((r) => r.imageId)).size).toBe(names.length);
    expect(await openDb().pooledFeature.count({ where: { runId: done.id } })).toBe(names.length * 5);
    const store = new LocalFeatureStore(env.DATA_DIR as string);
    for (const row of rows)
      expect(await store.verify(row.featureFile ?? "", row.featureSha256 ?? "")).toBe(true);
  });

  // Three fvl processes and NumPy: over a minute on a loaded 2-core machine, more with PostgreSQL (CI's second pass).
  it("exports npy and safetensors that NumPy reads back to the stored values", {
    timeout: 180_000,
  }, async () => {
    const out = path.join(work, "export");
    await fvl(["export", "mixed", "--format", "npy", "--out", path.join(out, "npy")]);
    await fvl(["export", "mixed", "--format", "safetensors", "--out", path.join(out, "st")]);
    await fvl(["export", "mixed", "--format", "csv", "--out", path.join(out, "csv")]);
    const runRow = await openDb().run.findUniqueOrThrow({ where: { name: "mixed" } });
    const first = await openDb().runImage.findFirstOrThrow({
      where: { runId: runRow.id, status: "done", image: { items: { some: { fileName: "scene-000.png" } } } },
      include: { image: true },
    });
    const stored = await new LocalFeatureStore(env.DATA_DIR as string).readStored(first.featureFile ?? "");
    const v = stored.tensors["depth:V"];
    if (v?.dtype !== "F16") throw new Error("expected fp16 storage");
    const expectedV = fp16ToFp32(v.data);

    // What our own decoders read must equal the stored grid...
    const tokens = decodeNpy(new Uint8Array(await fs.readFile(path.join(out, "npy", "depth_V.tokens.npy"))));
    expect(tokens.shape).toEqual([4, 145, 128]);
    expect(Array.from((tokens.data as Uint16Array).subarray(0, v.data.length))).toEqual(Array.from(v.data));
    const copied = decodeSafetensors(
      new Uint8Array(await fs.readFile(path.join(out, "st", `${first.image.sha256}.safetensors`))),
    );
    expect(copied.tensors["depth:V"]?.data).toEqual(v.data);

    // ...and so must NumPy's.
    const script = `
import json, sys, numpy as np
out = sys.argv[1]
tokens = np.load(out + "/npy/depth_V.tokens.npy")
pooled = np.load(out + "/npy/depth_V.pooled.npy")
raw = open(out + "/st/${first.image.sha256}.safetensors", "rb").read()
n = int.from_bytes(raw[:8], "little")
header = json.loads(raw[8:8 + n])
e = header["depth:V"]
grid = np.frombuffer(raw[8 + n + e["data_offsets"][0]: 8 + n + e["data_offsets"][1]], dtype="<f2").reshape(e["shape"])
print(json.dumps({"dtype": str(tokens.dtype), "shape": list(tokens.shape), "first": tokens[0].astype(np.float32).ravel()[:64].tolist(),
                  "st_equal": bool(np.array_equal(grid, tokens[0])), "pooled0": pooled[0, :8].tolist(),
                  "mean0": tokens[0, 1:].astype(np.float64).mean(0)[:8].tolist()}))
`;
    const { stdout } = await run("/usr/bin/python3", ["-c", script, out]);
    const numpy = JSON.parse(stdout) as {
      dtype: string;
      shape: number[];
      first: number[];
      st_equal: boolean;
      pooled0: number[];
      mean0: number[];
    };
    expect(numpy.dtype).toBe("float16");
    expect(numpy.shape).toEqual([4, 145, 128]);
    expect(numpy.first).toEqual(Array.from(expectedV.subarray(0, 64)));
    expect(numpy.st_equal).toBe(true);
    // The pooled vector is the mean of the patch tokens (before fp16 rounding of the mean).
    for (const [j, value] of numpy.pooled0.entries()) expect(value).toBeCloseTo(numpy.mean0[j] ?? 0, 2);

    const answersCsv = await fs.readFile(path.join(out, "csv", "answers.csv"), "utf8");
    expect(answersCsv.split("\n")[0]).toBe("file_name,sha256,kind,prompt,text,boxes");
  });
});
