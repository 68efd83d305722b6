import { execFile } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { STOCK_MODEL_DIR } from "../helpers/mini-model-paths";
import { ROOT } from "../helpers/processes";

const run = promisify(execFile);
let scratch: string;

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "lens-model-cli-"));
});

afterAll(async () => {
  await fs.rm(scratch, { recursive: true, force: true });
});

async function fvl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return run(process.execPath, [path.join(ROOT, "bin", "fvl.mjs"), ...args], { cwd: ROOT }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

describe("fvl model export / check on bad input", () => {
  it("export names an unknown checkpoint format and exits non-zero", async () => {
    const folder = path.join(scratch, "bert");
    await fs.mkdir(folder);
    await fs.writeFile(path.join(folder, "config.json"), JSON.stringify({ model_type: "bert" }));
    const result = await fvl(["model", "export", "--from", folder, "--out", path.join(scratch, "out")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/unknown-format: .*model_type 'bert'; expected 'florence2'/);
  });

  it("check reports a stock folder's sources and that it has no attention outputs", async () => {
    const result = await fvl(["model", "check", STOCK_MODEL_DIR]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/source onnx-community/);
    expect(result.stdout).toMatch(/attention outputs: none/);
  });

  it("check refuses a folder whose graph breaks the contract, naming the file", async () => {
    const folder = path.join(scratch, "broken");
    await fs.cp(STOCK_MODEL_DIR, folder, { recursive: true });
    await fs.rm(path.join(folder, "onnx", "encoder_model.onnx"));
    const result = await fvl(["model", "check", folder]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/onnx\/encoder_model\.onnx: missing file/);
  });
});
