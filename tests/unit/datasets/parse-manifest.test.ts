import { describe, expect, it } from "vitest";
import { AppError } from "~/server/app-error";
import { manifestKindOf, parseManifest } from "~/server/services/datasets/parse-manifest";

function errorOf(run: () => unknown): AppError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return error as AppError;
  }
  throw new Error("expected an AppError");
}

describe("parseManifest (JSONL)", () => {
  it("reads file, caption, labels and split, skipping blank lines; other scalar keys are labels", () => {
    const text = [
      '{"file": "a.png", "caption": "a red circle", "labels": {"colour": "red", "n": 1}, "split": "test"}',
      "",
      '{"file": "./sub\\\\b.png", "shape": "star", "labels": {"n": 2, "has_text": false}}',
      '{"file": "c.png"}',
    ].join("\r\n");
    expect(parseManifest(text, "jsonl")).toEqual([
      { line: 1, file: "a.png", caption: "a red circle", labels: { colour: "red", n: 1 }, split: "test" },
      {
        line: 3,
        file: "sub/b.png",
        caption: null,
        labels: { shape: "star", n: 2, has_text: false },
        split: null,
      },
      { line: 4, file: "c.png", caption: null, labels: null, split: null },
    ]);
  });

  it("names the line of the first bad row", () => {
    expect(errorOf(() => parseManifest('{"file": "a.png"}\n{"file": "b.png",}\n', "jsonl")).message).toMatch(
      /^Manifest line 2: not valid JSON/,
    );
    expect(errorOf(() => parseManifest('{"file": "a.png"}\n\n["b.png"]', "jsonl")).message).toBe(
      "Manifest line 3: expected a JSON object.",
    );
    expect(errorOf(() => parseManifest('{"caption": "x"}', "jsonl")).message).toBe(
      'Manifest line 1: missing "file".',
    );
    expect(errorOf(() => parseManifest('{"file": "a.png", "labels": [1]}', "jsonl")).message).toMatch(
      /line 1: "labels" must be a JSON object/,
    );
    expect(errorOf(() => parseManifest('{"file": "a.png", "labels": {"x": {"y": 1}}}', "jsonl")).code).toBe(
      "BAD_INPUT",
    );
    expect(errorOf(() => parseManifest('{"file": "a.png"}\n{"file": "a.png"}', "jsonl")).message).toBe(
      'Manifest line 2: "a.png" is already listed on line 1.',
    );
  });

  it("refuses file names that leave the dataset", () => {
    for (const file of ["../x.png", "/etc/passwd", "a/../../b.png", "C:\\\\x.png"]) {
      expect(errorOf(() => parseManifest(JSON.stringify({ file }), "jsonl")).message).toMatch(
        /line 1: .* must be a relative path inside the dataset/,
      );
    }
  });
});

describe("parseManifest (CSV)", () => {
  it("follows RFC 4180 quoting and turns extra columns into labels", () => {
    const text =
      "\uFEFFfile,caption,split,colour,count\r\n" +
      'a.png,"a red circle, a blue star",train,red,2\r\n' +
      '"b.png","she said ""hi""\nand left",,"blue",\r\n' +
      "\r\n" +
      "c.png,,test,,\r\n";
    expect(parseManifest(text, "csv")).toEqual([
      {
        line: 2,
        file: "a.png",
        caption: "a red circle, a blue star",
        labels: { colour: "red", count: "2" },
        split: "train",
      },
      { line: 3, file: "b.png", caption: 'she said "hi"\nand left', labels: { colour: "blue" }, split: null },
      { line: 6, file: "c.png", caption: null, labels: null, split: "test" },
    ]);
  });

  it("reads a last row without a line break", () => {
    expect(parseManifest("file\na.png", "csv").map((row) => row.file)).toEqual(["a.png"]);
  });

  it("names the line of bad rows", () => {
    expect(errorOf(() => parseManifest("caption\nx", "csv")).message).toMatch(
      /line 1: the header needs a "file" column/,
    );
    expect(errorOf(() => parseManifest("file,caption\na.png,x\nb.png,y,z\n", "csv")).message).toBe(
      "Manifest line 3: expected 2 fields as in the header, found 3.",
    );
    expect(
      errorOf(() => parseManifest('file,caption\na.png,x\nb.png,"open\nstill open\n', "csv")).message,
    ).toBe("Manifest line 3: a quoted field is never closed.");
    expect(errorOf(() => parseManifest('file,caption\na.png,x"y\n', "csv")).message).toMatch(
      /line 2: a quote/,
    );
    expect(errorOf(() => parseManifest("file,caption\n,x\n", "csv")).message).toBe(
      'Manifest line 2: missing "file".',
    );
    expect(errorOf(() => parseManifest("", "csv")).message).toMatch(/empty/);
  });
});

describe("manifestKindOf", () => {
  it("knows manifests by extension", () => {
    expect(manifestKindOf("Manifest.JSONL")).toBe("jsonl");
    expect(manifestKindOf("x.ndjson")).toBe("jsonl");
    expect(manifestKindOf("labels.csv")).toBe("csv");
    expect(manifestKindOf("a.png")).toBeNull();
  });
});
