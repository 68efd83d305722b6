import { AppError } from "~/server/app-error";
import { type ManifestKind, manifestKindOf } from "./parse-manifest";

// Top-level files with these names are read as the manifest (never imported as images); JSONL wins over CSV.
const MANIFEST_NAMES = ["manifest.jsonl", "manifest.ndjson", "manifest.csv"];

/** Which of a dataset's relative file names is its manifest, and a test for every manifest-named file. */
export function splitRootManifest(fileNames: readonly string[]): {
  manifestFile: string | null;
  isManifestName: (fileName: string) => boolean;
} {
  const isManifestName = (fileName: string) => MANIFEST_NAMES.includes(fileName.toLowerCase());
  const present = fileNames.filter(isManifestName);
  const manifestFile =
    MANIFEST_NAMES.map((name) => present.find((fileName) => fileName.toLowerCase() === name)).find(
      (fileName) => fileName !== undefined,
    ) ?? null;
  return { manifestFile, isManifestName };
}

/** The manifest kind from its name, or from its first character when the name says nothing. */
export function manifestKindFor(fileName: string, text: string): ManifestKind {
  return manifestKindOf(fileName) ?? (text.trimStart().startsWith("{") ? "jsonl" : "csv");
}

/** Manifest bytes as UTF-8 text; anything else is refused rather than guessed. */
export function readManifestText(bytes: Uint8Array, fileName: string): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch (error) {
    throw new AppError("BAD_INPUT", `The manifest ${fileName} is not UTF-8 text; save it as UTF-8.`, {
      cause: error,
    });
  }
}
