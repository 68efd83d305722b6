import path from "node:path";
import { AppError } from "~/server/app-error";
import type { AppDeps } from "~/server/composition-root";
import { formatMegabytes } from "~/server/services/datasets/build-dataset";
import { createDatasetFromFiles } from "~/server/services/datasets/create-dataset-from-files";
import type { ImportReport } from "~/server/services/datasets/dataset-types";
import { type ReceivedUpload, receiveUpload } from "~/server/services/datasets/receive-upload";
import { errorResponse, jsonError } from "../../_http/error-response";

const NDJSON = "application/x-ndjson";

/**
 * POST multipart/form-data: `name`, `files` (many; zips are expanded; a folder's files named by their relative
 * paths) and an optional `manifest` (JSONL or CSV). The body streams to staged files on disk, never into memory,
 * and is limited to `maxBytes` while it streams in: a Content-Length over the limit is refused before anything is
 * read, and a body that grows past it is cut off, both with HTTP 413 saying the limit. The answer is the import
 * report (201), or progress lines then the report when the client accepts application/x-ndjson.
 */
export async function handleDatasetUpload(
  request: Request,
  options: Pick<AppDeps, "db" | "dataDir" | "limits"> & {
    /** Called with the report once the dataset is stored (the audit log). */
    onImported?: (report: ImportReport) => Promise<void>;
  },
): Promise<Response> {
  const maxBytes = options.limits.maxUploadBytes;
  const overLimitMessage = `The upload is too large: the limit is ${formatMegabytes(maxBytes)} MB (MAX_UPLOAD_BYTES). Split it into several uploads, or put the files in an import folder on the server and import that.`;
  const contentType = request.headers.get("content-type") ?? "";
  if (!contentType.toLowerCase().startsWith("multipart/form-data")) {
    await request.body?.cancel();
    return jsonError(
      400,
      "Send the dataset as multipart/form-data with a name, files and an optional manifest.",
    );
  }
  const declared = Number(request.headers.get("content-length") ?? Number.NaN);
  if (Number.isFinite(declared) && declared > maxBytes) {
    await request.body?.cancel();
    return jsonError(413, overLimitMessage);
  }
  if (request.body === null) return jsonError(400, "The upload is empty.");

  let upload: ReceivedUpload;
  try {
    upload = await receiveUpload({
      body: request.body,
      contentType,
      stagingRoot: path.join(options.dataDir, "uploads"),
      maxBytes,
      overLimitMessage,
    });
  } catch (error) {
    return errorResponse(error, "datasets/upload");
  }

  const importUpload = async (onProgress?: (progress: { stored: number; total: number }) => void) => {
    try {
      if (upload.name === null)
        throw new AppError("BAD_INPUT", 'Give the dataset a name (form field "name").');
      if (upload.files.length === 0)
        throw new AppError("BAD_INPUT", 'Choose some files to upload (form field "files").');
      const report = await createDatasetFromFiles({
        db: options.db,
        dataDir: options.dataDir,
        name: upload.name,
        files: upload.files,
        manifest: upload.manifest,
        limits: options.limits.imports,
        maxInputPixels: options.limits.maxImagePixels,
        onProgress,
      });
      await options.onImported?.(report);
      return report;
    } finally {
      await upload.discard();
    }
  };

  if (!(request.headers.get("accept") ?? "").includes(NDJSON)) {
    try {
      return Response.json(await importUpload(), { status: 201 });
    } catch (error) {
      return errorResponse(error, "datasets/upload");
    }
  }
  // With Accept: application/x-ndjson the answer is a stream of lines: `progress` while the files are stored,
  // probed and thumbnailed, then one `done` (the report) or `error` (status and message).
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (line: object) => controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
      send({ type: "received", bytes: upload.receivedBytes, files: upload.files.length });
      try {
        const report = await importUpload((progress) => send({ type: "progress", ...progress }));
        send({ type: "done", status: 201, report });
      } catch (error) {
        const failure = errorResponse(error, "datasets/upload");
        send({ type: "error", status: failure.status, ...((await failure.json()) as { error: string }) });
      }
      controller.close();
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": NDJSON, "cache-control": "no-store" },
  });
}
