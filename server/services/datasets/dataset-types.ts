import type { Labels } from "./parse-manifest";

/** A dataset as the browser sees it. */
export interface DatasetDto {
  id: string;
  name: string;
  /** "upload" | "folder" | "demo" */
  source: string;
  /** For folder imports: the folder it came from. */
  rootPath: string | null;
  itemCount: number;
  createdAt: Date;
}

/** What an import did, file by file where it matters: nothing a user gave is dropped silently. */
export interface ImportReport {
  dataset: DatasetDto;
  /** Files whose bytes were new to the store (the rest were already stored by an earlier import). */
  newImages: number;
  /** Files with the same bytes as an earlier file of this dataset: one item each content. */
  duplicates: { fileName: string; sameAs: string }[];
  /** Files kept as items that are not readable images; a run records them as failed with this reason. */
  problems: { fileName: string; problem: string }[];
  /** Manifest rows naming a file that was not among the files. */
  missingFiles: { line: number; file: string }[];
  /** Folders' junk (`__MACOSX/`, dotfiles), special files and symlinked folders that were left out. */
  skipped: string[];
}

/** One dataset item with its image, for grids and the projection explorer. */
export interface DatasetItemDto {
  itemId: string;
  position: number;
  fileName: string;
  caption: string | null;
  labels: Labels | null;
  split: string | null;
  imageId: string;
  sha256: string;
  width: number | null;
  height: number | null;
  format: string | null;
  problem: string | null;
  /** `/api/images/<sha256>/thumbnail`, or null when the file is not a readable image. */
  thumbnailUrl: string | null;
}

/** Guards against zip bombs and runaway folders; the defaults come from MAX_IMPORT_FILES and MAX_IMPORT_BYTES. */
export interface ImportLimits {
  maxFiles: number;
  maxBytes: number;
}
