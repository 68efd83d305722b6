import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/processes";

describe("tools/florence-vl-mini Python unit tests (every test_*.py)", () => {
  it("pass under Debian's python3", { timeout: 120_000 }, async () => {
    const { stderr } = await promisify(execFile)(
      "/usr/bin/python3",
      ["-m", "unittest", "discover", "-p", "test_*.py"],
      {
        cwd: path.join(ROOT, "tools", "florence-vl-mini"),
        env: { ...process.env, OPENBLAS_NUM_THREADS: "1" },
      },
    );
    // unittest reports on stderr; a failure makes execFile reject.
    expect(stderr).toMatch(/^OK/m);
  });
});
