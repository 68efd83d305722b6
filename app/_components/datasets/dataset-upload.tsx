"use client";

import { type DragEvent, type FormEvent, useState } from "react";
import { DatasetNameField, useOpenNewDataset } from "./new-dataset";
import { ProgressBar } from "./progress-bar";
import {
  filesOfDrop,
  filesOfInput,
  megabytes,
  type PickedFile,
  sendUpload,
  type UploadProgress,
} from "./send-upload";

/**
 * A new dataset from the browser: image files, folders and zips dropped or picked (any mix, added up), an
 * optional manifest, then one upload with a byte bar and a second bar while the server stores, probes and
 * thumbnails the files. Opens the new dataset's page when it is done.
 */
export function DatasetUpload() {
  const openNewDataset = useOpenNewDataset();
  const [name, setName] = useState("");
  const [files, setFiles] = useState<PickedFile[]>([]);
  const [manifest, setManifest] = useState<File | null>(null);
  const [isOver, setIsOver] = useState(false);
  const [progress, setProgress] = useState<UploadProgress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const isUploading = progress !== null && error === null;

  const add = (picked: PickedFile[]) => {
    setFiles((current) => [...current, ...picked]);
    const folder = picked.find((p) => p.path.includes("/"))?.path.split("/")[0];
    if (name === "" && folder !== undefined) setName(folder);
  };
  const drop = async (event: DragEvent) => {
    event.preventDefault();
    setIsOver(false);
    add(await filesOfDrop(event.dataTransfer));
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(null);
    setProgress({ sentBytes: 0, totalBytes: 0, stored: null, storeTotal: null });
    try {
      const report = await sendUpload({ name: name.trim(), files, manifest, onProgress: setProgress });
      await openNewDataset(report.dataset.id);
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
    }
  };
  const totalBytes = files.reduce((sum, picked) => sum + picked.file.size, 0);

  return (
    <form
      onSubmit={submit}
      aria-label="Upload a dataset"
      data-testid="dataset-upload"
      className="space-y-3 rounded-lg border border-line bg-panel p-4 text-sm"
    >
      <h2 className="font-medium text-muted text-sm uppercase tracking-wide">New dataset from your images</h2>
      <section
        aria-label="Drop images, folders or zips here"
        onDragOver={(event) => {
          event.preventDefault();
          setIsOver(true);
        }}
        onDragLeave={() => setIsOver(false)}
        onDrop={(event) => void drop(event)}
        data-testid="drop-zone"
        className={`rounded border border-dashed p-6 text-center ${isOver ? "border-accent bg-surface" : "border-line"}`}
      >
        <p>Drop image files, folders or .zip files here, or pick them:</p>
        <div className="mt-2 flex flex-wrap justify-center gap-3">
          <label className="cursor-pointer rounded border border-line px-2 py-1 hover:border-accent">
            Files or zips…
            <input
              type="file"
              multiple
              hidden
              data-testid="pick-files"
              onChange={(event) => add(filesOfInput(event.target.files))}
            />
          </label>
          <label className="cursor-pointer rounded border border-line px-2 py-1 hover:border-accent">
            A folder…
            <input
              type="file"
              hidden
              data-testid="pick-folder"
              ref={(input) => input?.setAttribute("webkitdirectory", "")}
              onChange={(event) => add(filesOfInput(event.target.files))}
            />
          </label>
          <label className="cursor-pointer rounded border border-line px-2 py-1 hover:border-accent">
            {manifest === null ? "Manifest (JSONL or CSV, optional)…" : `Manifest: ${manifest.name}`}
            <input
              type="file"
              hidden
              accept=".jsonl,.ndjson,.csv,application/json,text/csv"
              data-testid="pick-manifest"
              onChange={(event) => setManifest(event.target.files?.[0] ?? null)}
            />
          </label>
        </div>
        <p className="mt-2 text-muted" data-testid="picked-summary" data-count={files.length}>
          {files.length === 0 ? "Nothing picked yet." : `${files.length} files, ${megabytes(totalBytes)} MB`}
          {files.length > 0 && !isUploading ? (
            <button type="button" onClick={() => setFiles([])} className="ml-2 underline">
              clear
            </button>
          ) : null}
        </p>
      </section>
      <DatasetNameField value={name} onChange={setName} />
      {progress !== null ? (
        <div className="space-y-2">
          <ProgressBar
            testId="upload-bytes"
            label="Uploading"
            value={progress.sentBytes}
            max={progress.totalBytes}
            text={`${megabytes(progress.sentBytes)} of ${megabytes(progress.totalBytes)} MB`}
          />
          <ProgressBar
            testId="upload-store"
            label="Storing, probing and thumbnailing"
            value={progress.stored ?? 0}
            max={progress.storeTotal ?? 0}
            text={
              progress.stored === null
                ? "waiting for the upload"
                : `${progress.stored} of ${progress.storeTotal ?? "?"} files`
            }
          />
        </div>
      ) : null}
      {error !== null ? (
        <p role="alert" className="text-bad">
          {error}
        </p>
      ) : null}
      <button
        type="submit"
        disabled={isUploading || files.length === 0 || name.trim() === ""}
        className="rounded bg-accent px-3 py-1 font-medium text-black disabled:opacity-50"
      >
        {isUploading ? "Uploading…" : "Upload"}
      </button>
    </form>
  );
}
