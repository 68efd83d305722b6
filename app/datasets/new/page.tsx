import Link from "next/link";
import { DatasetUpload } from "../../_components/datasets/dataset-upload";
import { FolderImportForm } from "../../_components/datasets/folder-import-form";

export default function NewDatasetPage() {
  return (
    <div className="space-y-6">
      <header>
        <Link href="/" className="text-muted text-sm hover:text-white">
          ← Datasets &amp; runs
        </Link>
        <h1 className="mt-1 font-semibold text-2xl tracking-tight">New dataset</h1>
        <p className="mt-1 max-w-2xl text-muted text-sm">
          Upload images from this computer, or import a folder that is already on the server. A manifest
          (JSONL or CSV with a <code>file</code> column, and <code>caption</code>, <code>split</code> or label
          columns) adds captions and labels; files that are not readable images are kept and listed with the
          reason.
        </p>
      </header>
      <DatasetUpload />
      <FolderImportForm />
    </div>
  );
}
