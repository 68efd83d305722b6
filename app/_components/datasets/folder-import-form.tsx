"use client";

import { useMutation } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { useTRPC } from "~/app/_trpc/react";
import { DatasetNameField, useOpenNewDataset } from "./new-dataset";

/** Imports a folder that is already on the server (under IMPORT_ROOTS), with an optional manifest path. */
export function FolderImportForm() {
  const trpc = useTRPC();
  const openNewDataset = useOpenNewDataset();
  const [name, setName] = useState("");
  const [folder, setFolder] = useState("");
  const [manifestPath, setManifestPath] = useState("");
  const importFolder = useMutation(
    trpc.datasets.importFolder.mutationOptions({
      onSuccess: (report) => openNewDataset(report.dataset.id),
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    importFolder.mutate({
      name,
      folder,
      ...(manifestPath.trim() === "" ? {} : { manifestPath }),
    });
  };
  return (
    <form
      onSubmit={submit}
      aria-label="Import a server folder"
      className="space-y-3 rounded-lg border border-line bg-panel p-4 text-sm"
    >
      <h2 className="font-medium text-muted text-sm uppercase tracking-wide">
        Import a folder on the server
      </h2>
      <p className="text-muted">
        For large sets already on this machine: a folder under one of the import roots (IMPORT_ROOTS; by
        default the data folder's imports/), given as a path inside a root or as an absolute path.
      </p>
      <DatasetNameField value={name} onChange={setName} />
      <label className="block">
        <span className="text-muted">Folder</span>
        <input
          value={folder}
          onChange={(e) => setFolder(e.target.value)}
          required
          placeholder="scenes/2024-06"
          className="mt-1 block w-full rounded border border-line bg-surface p-1 font-mono"
        />
      </label>
      <label className="block">
        <span className="text-muted">
          Manifest path (optional; else manifest.jsonl or .csv in the folder)
        </span>
        <input
          value={manifestPath}
          onChange={(e) => setManifestPath(e.target.value)}
          className="mt-1 block w-full rounded border border-line bg-surface p-1 font-mono"
        />
      </label>
      {importFolder.isError ? (
        <p role="alert" className="text-bad">
          {importFolder.error.message}
        </p>
      ) : null}
      <button
        type="submit"
        disabled={importFolder.isPending}
        className="rounded bg-accent px-3 py-1 font-medium text-black disabled:opacity-50"
      >
        {importFolder.isPending ? "Importing…" : "Import folder"}
      </button>
    </form>
  );
}
