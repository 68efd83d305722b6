import { AppError } from "~/server/app-error";
import type { AppDeps } from "~/server/composition-root";
import { formatMegabytes } from "~/server/services/datasets/build-dataset";
import {
  createDatasetFromFiles,
  type UploadedFile,
} from "~/server/services/datasets/create-dataset-from-files";
import { errorResponse, jsonError } from "../../_http/error-response";

/**
 * POST multipart/form-data: `name`, `files` (many; zips are expanded) and an optional `manifest` (JSONL or CSV).
 * The body is limited to `maxBytes` while it streams in: a Content-Length over the limit is refused before
 * anything is read, and a body that grows past it is cut off, both with HTTP 413 saying the limit.
 */
export async function handleDatasetUpload(
  request: Request,
  options: Pick<AppDeps, "db" | "dataDir" | "limits">,
): Promise<Response> {
  const maxBytes = options.limits.maxUploadBytes;
  const tooLarge = () =>
    jsonError(
      413,
      `The upload is too large: the limit is ${formatMegabytes(maxBytes)} MB (MAX_UPLOAD_BYTES). Split it into several uploads, or put the files in an import folder on the server and import that.`,
    );
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
    return tooLarge();
  }
  if (request.body === null) return jsonError(400, "The upload is empty.");

  let received = 0;
  let isOverLimit = false;
  const limiter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.byteLength;
      if (received > maxBytes) {
        isOverLimit = true;
        controller.error(new AppError("PAYLOAD_TOO_LARGE", "upload over the limit"));
        return;
      }
      controller.enqueue(chunk);
    },
  });
  let form: FormData;
  try {
    // Parsing through a Response keeps the limiter between the socket and the multipart parser.
    form = await new Response(request.body.pipeThrough(limiter), {
      headers: { "content-type": contentType },
    }).formData();
  } catch (error) {
    if (isOverLimit) return tooLarge();
    return jsonError(400, `The upload is not valid multipart/form-data (${String(error)}).`);
  }

  try {
    const name = form.get("name");
    if (typeof name !== "string")
      throw new AppError("BAD_INPUT", 'Give the dataset a name (form field "name").');
    const files: UploadedFile[] = [];
    for (const value of form.getAll("files")) {
      if (typeof value === "string") continue; // a text field named "files" is not a file
      files.push({ name: value.name, bytes: new Uint8Array(await value.arrayBuffer()) });
    }
    if (files.length === 0)
      throw new AppError("BAD_INPUT", 'Choose some files to upload (form field "files").');
    const manifestField = form.get("manifest");
    const manifest =
      manifestField === null || (typeof manifestField === "string" && manifestField.trim() === "")
        ? null
        : typeof manifestField === "string"
          ? { name: "manifest", text: manifestField }
          : { name: manifestField.name, text: await manifestField.text() };
    const report = await createDatasetFromFiles({
      db: options.db,
      dataDir: options.dataDir,
      name,
      files,
      manifest,
      limits: options.limits.imports,
      maxInputPixels: options.limits.maxImagePixels,
    });
    return Response.json(report, { status: 201 });
  } catch (error) {
    return errorResponse(error, "datasets/upload");
  }
}
