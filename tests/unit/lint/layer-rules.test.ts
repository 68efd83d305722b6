import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..", "..", "..");
const run = promisify(execFile);

/**
 * The layer rules in biome.json (docs/architecture.md, Layers), checked by linting a small tree of fixtures with
 * the repository's own configuration: each deliberate violation must be reported by noRestrictedImports, and the
 * allowed imports next to them must not be.
 */
const FIXTURES: Record<string, { source: string; isViolation: boolean }> = {
  "app/imports-engine.ts": {
    source: 'import { loadModel } from "~/lib/engine/load-model";\n\nexport const x = loadModel;\n',
    isViolation: true,
  },
  "app/imports-store.ts": {
    source: 'import { createDb } from "~/server/store/db";\n\nexport const x = createDb;\n',
    isViolation: true,
  },
  "app/imports-job-queue.ts": {
    source:
      'import { EmbeddedJobQueue } from "~/server/jobs/embedded-job-queue";\n\nexport const x = EmbeddedJobQueue;\n',
    isViolation: true,
  },
  "app/imports-router-types.ts": {
    source: 'import type { AppRouter } from "~/server/api/root";\n\nexport type X = AppRouter;\n',
    isViolation: false,
  },
  "lib/viz/imports-engine.ts": {
    source: 'import { encodeImages } from "~/lib/engine/encode";\n\nexport const x = encodeImages;\n',
    isViolation: true,
  },
  "lib/viz/imports-tensor.ts": {
    source: 'import { rowOf } from "~/lib/tensor";\n\nexport const x = rowOf;\n',
    isViolation: false,
  },
  "server/services/imports-job-model.ts": {
    source: 'import type { Job } from "~/server/store/generated/prisma/client";\n\nexport type X = Job;\n',
    isViolation: true,
  },
  "server/services/imports-run-model.ts": {
    source: 'import type { Run } from "~/server/store/generated/prisma/client";\n\nexport type X = Run;\n',
    isViolation: false,
  },
  "server/jobs/imports-job-model.ts": {
    source: 'import type { Job } from "~/server/store/generated/prisma/client";\n\nexport type X = Job;\n',
    isViolation: false,
  },
};

let work: string;

beforeAll(async () => {
  work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-layer-rules-"));
  const config = JSON.parse(await fs.readFile(path.join(ROOT, "biome.json"), "utf8"));
  // The fixture tree is not a git checkout; everything else is the repository's configuration as it is.
  config.vcs = { enabled: false };
  delete config.$schema;
  await fs.writeFile(path.join(work, "biome.json"), JSON.stringify(config));
  for (const [file, fixture] of Object.entries(FIXTURES)) {
    await fs.mkdir(path.dirname(path.join(work, file)), { recursive: true });
    await fs.writeFile(path.join(work, file), fixture.source);
  }
});

afterAll(async () => {
  await fs.rm(work, { recursive: true, force: true });
});

async function restrictedImports(): Promise<string[]> {
  const biome = path.join(ROOT, "node_modules", ".bin", "biome");
  // Biome exits non-zero when it reports errors: the report is what counts here.
  const { stdout } = await run(biome, ["lint", "--reporter=json", "--max-diagnostics=none", "."], {
    cwd: work,
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? "" }));
  const report = JSON.parse(stdout) as { diagnostics: { category: string; location: { path: string } }[] };
  return report.diagnostics
    .filter((d) => d.category === "lint/style/noRestrictedImports")
    .map((d) => d.location.path)
    .sort();
}

describe("layer rules (biome.json)", () => {
  it("report every deliberate violation and nothing else", { timeout: 30_000 }, async () => {
    const expected = Object.entries(FIXTURES)
      .filter(([, fixture]) => fixture.isViolation)
      .map(([file]) => file)
      .sort();
    expect(await restrictedImports()).toEqual(expected);
  });
});
