import path from "node:path";
import { describe, expect, it } from "vitest";
import { cleanRelativeName, isJunkName } from "~/server/services/datasets/file-names";
import { isInside } from "~/server/services/datasets/resolve-import-folder";

describe("dataset file names", () => {
  it("turns zip-slip and Windows names into clean relative names", () => {
    expect(cleanRelativeName("../../etc/passwd")).toBe("etc/passwd");
    expect(cleanRelativeName("/abs/./x.png")).toBe("abs/x.png");
    expect(cleanRelativeName("C:\\Users\\me\\..\\a.png")).toBe("Users/me/a.png");
    expect(cleanRelativeName("a//b/")).toBe("a/b");
    expect(cleanRelativeName("../..")).toBeNull();
  });

  it("knows macOS resource forks and dotfiles", () => {
    expect(isJunkName("__MACOSX/x/._a.png")).toBe(true);
    expect(isJunkName("scenes/.DS_Store")).toBe(true);
    expect(isJunkName(".git/config")).toBe(true);
    expect(isJunkName("scenes/a.png")).toBe(false);
  });

  it("tells whether a path is inside a folder", () => {
    const root = path.resolve("/srv/imports");
    expect(isInside(root, root)).toBe(true);
    expect(isInside(path.join(root, "a", "b"), root)).toBe(true);
    expect(isInside(path.join(root, "..a"), root)).toBe(true);
    expect(isInside(path.resolve("/srv/imports-other"), root)).toBe(false);
    expect(isInside(path.resolve("/srv"), root)).toBe(false);
  });
});
