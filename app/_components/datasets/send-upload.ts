import type { RouterOutputs } from "~/app/_trpc/router-types";

export type ImportReport = RouterOutputs["datasets"]["importFolder"];

/** A file with the path it is uploaded under (its folder-relative path for a folder's files). */
export interface PickedFile {
  file: File;
  path: string;
}

export interface UploadProgress {
  /** Body bytes sent so far, and the body's size. */
  sentBytes: number;
  totalBytes: number;
  /** Files the server has stored, probed and thumbnailed, of how many; null before it starts. */
  stored: number | null;
  storeTotal: number | null;
}

type ServerLine =
  | { type: "received"; bytes: number; files: number }
  | { type: "progress"; stored: number; total: number }
  | { type: "done"; status: number; report: ImportReport }
  | { type: "error"; status: number; error: string };

/**
 * POSTs the files to /api/datasets/upload. XMLHttpRequest, not fetch: only it reports upload progress. The
 * server answers with NDJSON lines (store progress, then the report), read as they arrive.
 */
export function sendUpload(options: {
  name: string;
  files: readonly PickedFile[];
  manifest: File | null;
  onProgress: (progress: UploadProgress) => void;
}): Promise<ImportReport> {
  const form = new FormData();
  form.set("name", options.name);
  for (const picked of options.files) form.append("files", picked.file, picked.path);
  if (options.manifest !== null) form.set("manifest", options.manifest, options.manifest.name);
  const progress: UploadProgress = { sentBytes: 0, totalBytes: 0, stored: null, storeTotal: null };
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    let parsed = 0;
    let settled = false;
    const readLines = () => {
      const text = request.responseText;
      const end = text.lastIndexOf("\n") + 1;
      if (end <= parsed) return;
      for (const raw of text.slice(parsed, end).split("\n")) {
        if (raw.trim() === "") continue;
        const line = JSON.parse(raw) as ServerLine;
        if (line.type === "received") {
          progress.sentBytes = progress.totalBytes = Math.max(progress.totalBytes, line.bytes);
          progress.stored = 0;
          progress.storeTotal = line.files;
        } else if (line.type === "progress") {
          progress.stored = line.stored;
          progress.storeTotal = line.total;
        } else if (line.type === "done") {
          settled = true;
          resolve(line.report);
        } else {
          settled = true;
          reject(new Error(line.error));
        }
      }
      parsed = end;
      options.onProgress({ ...progress });
    };
    request.upload.onprogress = (event) => {
      progress.sentBytes = event.loaded;
      progress.totalBytes = event.total;
      options.onProgress({ ...progress });
    };
    request.onprogress = readLines;
    request.onload = () => {
      if (request.getResponseHeader("content-type")?.includes("ndjson")) readLines();
      if (settled) return;
      let message = `The upload failed (HTTP ${request.status}).`;
      try {
        message = (JSON.parse(request.responseText) as { error?: string }).error ?? message;
      } catch {
        // not JSON: keep the status line
      }
      reject(new Error(message));
    };
    request.onerror = () => reject(new Error("The upload was interrupted (network error)."));
    request.open("POST", "/api/datasets/upload");
    request.setRequestHeader("accept", "application/x-ndjson");
    request.send(form);
  });
}

/**
 * The files of a drop, folders walked (their files named by their path inside the dropped folder's parent),
 * through the entries API, which is the only way a drop reveals a folder's contents.
 */
export async function filesOfDrop(transfer: DataTransfer): Promise<PickedFile[]> {
  const entries = [...transfer.items]
    .map((item) => item.webkitGetAsEntry())
    .filter((entry): entry is FileSystemEntry => entry !== null);
  if (entries.length === 0) return [...transfer.files].map((file) => ({ file, path: file.name }));
  const picked: PickedFile[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((resolve, reject) =>
        (entry as FileSystemFileEntry).file(resolve, reject),
      );
      picked.push({ file, path: `${prefix}${entry.name}` });
      return;
    }
    const reader = (entry as FileSystemDirectoryEntry).createReader();
    // readEntries answers in batches (100 in Chromium) until it answers an empty one.
    for (;;) {
      const batch = await new Promise<FileSystemEntry[]>((resolve, reject) =>
        reader.readEntries(resolve, reject),
      );
      if (batch.length === 0) break;
      for (const child of batch) await walk(child, `${prefix}${entry.name}/`);
    }
  };
  for (const entry of entries) await walk(entry, "");
  return picked;
}

/** Files from an <input type=file>, with a folder input's relative paths. */
export function filesOfInput(list: FileList | null): PickedFile[] {
  return [...(list ?? [])].map((file) => ({ file, path: file.webkitRelativePath || file.name }));
}

/** A byte count as MB for progress text. */
export function megabytes(bytes: number): string {
  return (bytes / (1024 * 1024)).toFixed(1);
}
