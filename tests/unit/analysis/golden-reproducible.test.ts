import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { GOLDEN_DIR, readGolden } from "./golden";

// Debian's interpreter; CI installs numpy and scikit-learn for it (scripts/install-system-deps.sh).
const PYTHON = "/usr/bin/python3";
const hasReferenceStack = spawnSync(PYTHON, ["-c", "import numpy, sklearn"]).status === 0;
// Another BLAS or NumPy build may round the last bits differently; anything beyond that is a real change.
const REPRODUCTION_TOLERANCE = 1e-9;

function compareDeep(actual: unknown, expected: unknown, where: string): void {
  if (typeof expected === "number") {
    expect(typeof actual, where).toBe("number");
    const scale = Math.max(1, Math.abs(expected));
    expect(Math.abs((actual as number) - expected), where).toBeLessThanOrEqual(
      REPRODUCTION_TOLERANCE * scale,
    );
  } else if (Array.isArray(expected)) {
    expect((actual as unknown[]).length, where).toBe(expected.length);
    for (const [i, value] of expected.entries())
      compareDeep((actual as unknown[])[i], value, `${where}[${i}]`);
  } else if (expected !== null && typeof expected === "object") {
    expect(Object.keys(actual as object).sort(), where).toEqual(Object.keys(expected).sort());
    for (const [key, value] of Object.entries(expected)) {
      compareDeep((actual as Record<string, unknown>)[key], value, `${where}.${key}`);
    }
  } else {
    expect(actual, where).toEqual(expected);
  }
}

describe.runIf(hasReferenceStack)("tools/analysis-reference/make_golden.py", () => {
  const folder = mkdtempSync(path.join(tmpdir(), "lens-golden-"));
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it("reproduces the committed golden files", () => {
    execFileSync(PYTHON, ["tools/analysis-reference/make_golden.py", "--out", folder], {
      env: { ...process.env, OPENBLAS_NUM_THREADS: "1" },
      stdio: "pipe",
    });
    const committed = readdirSync(GOLDEN_DIR).sort();
    expect(readdirSync(folder).sort()).toEqual(committed);
    for (const name of committed) compareDeep(readGolden(name, folder), readGolden(name), name);
  }, 120_000);
});
