/**
 * `npm run bench:store`: feature-file write and read throughput of the feature store against plain file I/O of the
 * same bytes (the baseline, measured in the same run), and the time to load the pooled vectors of one source for
 * 100,000 images from SQLite, against a raw better-sqlite3 read of the same rows; with
 * `-- --postgres-url postgres://…` (a server whose role may create databases) the same load from PostgreSQL, against a
 * raw node-postgres read of the same rows, in a scratch database dropped afterwards. Writes bench/results/store.json.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { encodeFeatureFile, encodePooledVector, type SourceFeatures } from "~/server/features/feature-file";
import { LocalFeatureStore } from "~/server/features/feature-store";
import { loadPooledVectors } from "~/server/features/pooled-vectors";
import { ensureDataDir } from "~/server/store/data-dir";
import { createDb, type Db } from "~/server/store/db";
import { applyMigrations } from "~/server/store/migrate";
import { median } from "./median";

const ROOT = path.resolve(import.meta.dirname, "..");
const RESULTS = path.join(ROOT, "bench", "results", "store.json");
// The bundled model's kept sources per image: V, three breadth prompts, fused; 145 tokens × 128 dims, fp16.
const SOURCES = [
  "depth:V",
  "breadth:<DETAILED_CAPTION>",
  "breadth:<OCR>",
  "breadth:<DENSE_REGION_CAPTION>",
  "fused",
];
const TOKENS = 145;
const DIM = 128;
const FILES = 400;
const POOLED_IMAGES = 100_000;
const REPEATS = 5;

// 145 tokens = 1 pooled token + a 12 × 12 patch grid.
const GRID: [number, number] = [12, 12];

function syntheticSources(seed: number): Record<string, SourceFeatures> {
  const sources: Record<string, SourceFeatures> = {};
  for (const [k, source] of SOURCES.entries()) {
    const values = Float32Array.from({ length: TOKENS * DIM }, (_, i) =>
      Math.sin(seed * 31 + k * 7 + i * 0.01),
    );
    sources[source] = { tensor: { data: values, dims: [TOKENS, DIM] }, grid: GRID, hasPooledToken: true };
  }
  return sources;
}

async function fileThroughput(dir: string) {
  const store = new LocalFeatureStore(dir);
  const sources = Array.from({ length: 8 }, (_, i) => syntheticSources(i));
  const encode = (i: number) =>
    encodeFeatureFile({
      runId: "bench",
      imageSha256: `${i}`,
      model: "bench",
      dtype: "fp16",
      sources: sources[i % 8] ?? {},
    }).bytes;
  const bytesPerFile = encode(0).byteLength;
  const megabytes = (FILES * bytesPerFile) / 1e6;
  const write: number[] = [];
  const read: number[] = [];
  const rawWrite: number[] = [];
  const rawRead: number[] = [];
  for (let r = 0; r < REPEATS; r++) {
    const runId = `bench-${r}`;
    let started = performance.now();
    const paths: string[] = [];
    for (let i = 0; i < FILES; i++) {
      // As a worker writes: fp32 grids in, fp16 file and pooled vectors out.
      const { file } = await store.writeImage({
        runId,
        imageSha256: `${i}`.padStart(64, "0"),
        model: "bench",
        dtype: "fp16",
        sources: sources[i % 8] ?? {},
      });
      paths.push(file.path);
    }
    write.push(megabytes / ((performance.now() - started) / 1000));
    started = performance.now();
    for (const p of paths) await store.readStored(p);
    read.push(megabytes / ((performance.now() - started) / 1000));

    // Baseline: the same bytes written and read as plain files (no encoding, no fsync, no rename).
    const encoded = Array.from({ length: 8 }, (_, i) => encode(i));
    const rawDir = path.join(dir, `raw-${r}`);
    await fs.mkdir(rawDir, { recursive: true });
    started = performance.now();
    for (let i = 0; i < FILES; i++)
      await fs.writeFile(path.join(rawDir, `${i}.bin`), encoded[i % 8] ?? new Uint8Array());
    rawWrite.push(megabytes / ((performance.now() - started) / 1000));
    started = performance.now();
    for (let i = 0; i < FILES; i++) await fs.readFile(path.join(rawDir, `${i}.bin`));
    rawRead.push(megabytes / ((performance.now() - started) / 1000));
  }
  return {
    file_mb: bytesPerFile / 1e6,
    files: FILES,
    write_mb_s: median(write),
    read_mb_s: median(read),
    baseline_write_mb_s: median(rawWrite),
    baseline_read_mb_s: median(rawRead),
  };
}

async function pooledLoad(dir: string) {
  await ensureDataDir(dir);
  const file = path.join(dir, "lens.db");
  await applyMigrations({ databaseUrl: `file:${file}`, cwd: ROOT });
  // Bulk-load 100,000 images with one pooled fp16 vector each, straight through SQLite (setup, not measured).
  const sqlite = new Database(file);
  sqlite.exec(`INSERT INTO Dataset (id, name, source) VALUES ('d', 'bench', 'folder');
    INSERT INTO Run (id, name, datasetId, modelDir, modelHash, prompts, sources, questions, total) VALUES ('r', 'bench', 'd', 'm', 'h', '[]', '["depth:V"]', '[]', ${POOLED_IMAGES});`);
  const insertImage = sqlite.prepare(
    "INSERT INTO Image (id, sha256, bytes, storagePath) VALUES (?, ?, 1, 'x')",
  );
  const insertItem = sqlite.prepare(
    "INSERT INTO DatasetItem (id, datasetId, imageId, fileName, position) VALUES (?, 'd', ?, ?, ?)",
  );
  const insertPooled = sqlite.prepare(
    "INSERT INTO PooledFeature (id, runId, imageId, source, dim, dtype, data) VALUES (?, 'r', ?, 'depth:V', ?, 'fp16', ?)",
  );
  const vector = Buffer.from(
    encodePooledVector(
      Float32Array.from({ length: DIM }, (_, i) => i / DIM),
      "fp16",
    ),
  );
  sqlite.transaction(() => {
    for (let i = 0; i < POOLED_IMAGES; i++) {
      insertImage.run(`i${i}`, `${i}`.padStart(64, "0"));
      insertItem.run(`t${i}`, `i${i}`, `${i}.png`, i);
      insertPooled.run(`p${i}`, `i${i}`, DIM, vector);
    }
  })();

  const db = createDb(`file:${file}`);
  // Baseline: the bare query through better-sqlite3, no ordering by dataset, no conversion to float32.
  const timed = await timePooledLoads(
    db,
    async () =>
      sqlite.prepare("SELECT imageId, data FROM PooledFeature WHERE runId = 'r' AND source = 'depth:V'").all()
        .length,
  );
  await db.$disconnect();
  sqlite.close();
  return { images: POOLED_IMAGES, dim: DIM, ...timed };
}

/** Medians of 3 loads of the 100,000 vectors through Lens and through `rawQuery` (returning its row count). */
async function timePooledLoads(db: Db, rawQuery: () => Promise<number>) {
  const lens: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < 3; r++) {
    let started = performance.now();
    const matrix = await loadPooledVectors({ db, runId: "r", source: "depth:V" });
    lens.push((performance.now() - started) / 1000);
    // Every vector is i / DIM for i < DIM, exact in fp16: a decoding slip would show.
    if (matrix.imageIds.length !== POOLED_IMAGES || matrix.data[1] !== 1 / DIM) throw new Error("wrong rows");
    started = performance.now();
    const rows = await rawQuery();
    raw.push((performance.now() - started) / 1000);
    if (rows !== POOLED_IMAGES) throw new Error("wrong row count");
  }
  return { load_s: median(lens), baseline_raw_query_s: median(raw) };
}

/** The same 100,000 rows in a scratch PostgreSQL database, loaded the same way. */
async function pooledLoadPostgres(serverUrl: string) {
  const name = `lens_bench_store_${process.pid}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const client = new pg.Client({ connectionString: url.toString() });
  try {
    await applyMigrations({ databaseUrl: url.toString(), cwd: ROOT });
    await client.connect();
    await client.query(`INSERT INTO "Dataset" (id, name, source) VALUES ('d', 'bench', 'folder');
      INSERT INTO "Run" (id, name, "datasetId", "modelDir", "modelHash", prompts, sources, questions, total)
      VALUES ('r', 'bench', 'd', 'm', 'h', '[]', '["depth:V"]', '[]', ${POOLED_IMAGES});`);
    const vector = Buffer.from(
      encodePooledVector(
        Float32Array.from({ length: DIM }, (_, i) => i / DIM),
        "fp16",
      ),
    );
    // Setup, not measured: generate_series builds the rows server-side.
    await client.query(
      `INSERT INTO "Image" (id, sha256, bytes, "storagePath")
         SELECT 'i' || n, lpad(n::text, 64, '0'), 1, 'x' FROM generate_series(0, ${POOLED_IMAGES - 1}) AS n`,
    );
    await client.query(
      `INSERT INTO "DatasetItem" (id, "datasetId", "imageId", "fileName", position)
         SELECT 't' || n, 'd', 'i' || n, n || '.png', n FROM generate_series(0, ${POOLED_IMAGES - 1}) AS n`,
    );
    await client.query(
      `INSERT INTO "PooledFeature" (id, "runId", "imageId", source, dim, dtype, data)
         SELECT 'p' || n, 'r', 'i' || n, 'depth:V', ${DIM}, 'fp16', $1 FROM generate_series(0, ${POOLED_IMAGES - 1}) AS n`,
      [vector],
    );
    await client.query("ANALYZE");
    const db = createDb(url.toString());
    // Baseline: the bare query through node-postgres, no ordering by dataset, no conversion to float32.
    const timed = await timePooledLoads(
      db,
      async () =>
        (
          await client.query(
            `SELECT "imageId", data FROM "PooledFeature" WHERE "runId" = 'r' AND source = 'depth:V'`,
          )
        ).rowCount ?? 0,
    );
    await db.$disconnect();
    return timed;
  } finally {
    await client.end();
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.end();
  }
}

async function main(args: string[]): Promise<void> {
  const at = args.indexOf("--postgres-url");
  const postgresUrl = at >= 0 ? args[at + 1] : undefined;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), "bench-store-"));
  try {
    const files = await fileThroughput(path.join(dir, "files"));
    const pooled = await pooledLoad(path.join(dir, "db"));
    const postgres = postgresUrl === undefined ? null : await pooledLoadPostgres(postgresUrl);
    const result = {
      feature_write_mb_s: files.write_mb_s,
      feature_read_mb_s: files.read_mb_s,
      baseline_write_mb_s: files.baseline_write_mb_s,
      baseline_read_mb_s: files.baseline_read_mb_s,
      feature_file_mb: files.file_mb,
      pooled_load_100k_s: pooled.load_s,
      pooled_baseline_raw_query_100k_s: pooled.baseline_raw_query_s,
      pooled_load_100k_postgres_s: postgres?.load_s ?? null,
      pooled_baseline_raw_query_100k_postgres_s: postgres?.baseline_raw_query_s ?? null,
      settings: {
        files: files.files,
        repeats: REPEATS,
        statistic: "median",
        sources: SOURCES.length,
        tokens: TOKENS,
        dim: DIM,
      },
    };
    await fs.mkdir(path.dirname(RESULTS), { recursive: true });
    await fs.writeFile(RESULTS, `${JSON.stringify(result, null, 2)}\n`);
    console.log(JSON.stringify(result, null, 2));
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}

void main(process.argv.slice(2));
