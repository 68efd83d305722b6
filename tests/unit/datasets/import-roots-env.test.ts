import path from "node:path";
import { describe, expect, it } from "vitest";
import { InvalidEnvironmentError, parseEnv } from "~/server/env";

describe("dataset settings in parseEnv", () => {
  it("defaults the import root to DATA_DIR/imports and the limits to their documented values", () => {
    const env = parseEnv({ DATA_DIR: "/srv/lens" });
    expect(env.importRoots).toEqual([path.join("/srv/lens", "imports")]);
    expect(env.MAX_UPLOAD_BYTES).toBe(4 * 1024 * 1024 * 1024);
    expect(env.MAX_IMPORT_FILES).toBe(50_000);
    expect(env.MAX_IMPORT_BYTES).toBe(2 * 1024 * 1024 * 1024);
  });

  it("reads IMPORT_ROOTS as a PATH-style list of absolute folders", () => {
    const env = parseEnv({ IMPORT_ROOTS: ["/mnt/photos", " /srv/shared/ ", ""].join(path.delimiter) });
    expect(env.importRoots).toEqual(["/mnt/photos", "/srv/shared"]);
    expect(() => parseEnv({ IMPORT_ROOTS: "relative/folder" })).toThrow(InvalidEnvironmentError);
    expect(() => parseEnv({ IMPORT_ROOTS: "relative/folder" })).toThrow(/IMPORT_ROOTS/);
    expect(() => parseEnv({ MAX_UPLOAD_BYTES: "-1" })).toThrow(/MAX_UPLOAD_BYTES/);
  });
});
