import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { requireExportPython } from "../helpers/export-venv";
import { ROOT } from "../helpers/processes";

describe("tools/export language-model Python unit tests (typed errors, int8 layout, prompt tokenization)", () => {
  it("pass in the exporter's virtual environment", { timeout: 300_000 }, async () => {
    const { stderr } = await promisify(execFile)(
      requireExportPython(),
      ["-m", "unittest", "-v", "test_fvl_export_llm"],
      { cwd: path.join(ROOT, "tools", "export"), env: { ...process.env, OPENBLAS_NUM_THREADS: "1" } },
    );
    // unittest reports on stderr; a failure makes execFile reject.
    expect(stderr).toMatch(/^OK/m);
    expect(stderr).toMatch(/test_weight_shape_that_does_not_fit \(.*\) \.\.\. ok/);
  });
});
