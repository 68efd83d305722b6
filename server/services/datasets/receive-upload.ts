import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { AppError } from "~/server/app-error";
import type { UploadedFile } from "./create-dataset-from-files";
import { readManifestText } from "./root-manifest";

// A manifest is text the server parses whole; this bounds it (a 100,000-row manifest is a few MB).
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;
// Form fields other than files (the name) are short.
const MAX_FIELD_BYTES = 64 * 1024;

/** A multipart upload as it streamed in: its fields, and its files staged on disk. */
export interface ReceivedUpload {
  name: string | null;
  manifest: { name: string; text: string } | null;
  /** Files in the order they came; each is read back from its staged copy when it is stored. */
  files: UploadedFile[];
  /** How many bytes of the body were read. */
  receivedBytes: number;
  /** Removes the staged copies; call it once the import is done (or failed). */
  discard: () => Promise<void>;
}

/**
 * Reads a multipart/form-data body (`name`, `files` many, optional `manifest` as a file or text) as a stream:
 * each file goes straight to its own staged copy under `stagingRoot`, so the server holds no more than a
 * parser's buffer of the body however large it is. More than `maxBytes` of body ends the upload with
 * PAYLOAD_TOO_LARGE. A folder's files keep their relative paths (the browser sends them as the file names).
 */
export async function receiveUpload(options: {
  body: ReadableStream<Uint8Array>;
  contentType: string;
  stagingRoot: string;
  maxBytes: number;
  /** The PAYLOAD_TOO_LARGE message for a body over `maxBytes` (it names the setting to change). */
  overLimitMessage: string;
}): Promise<ReceivedUpload> {
  const folder = path.join(options.stagingRoot, randomUUID());
  await fs.mkdir(folder, { recursive: true });
  const discard = () => fs.rm(folder, { recursive: true, force: true });
  const received = { bytes: 0 };
  const limiter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received.bytes += chunk.byteLength;
      if (received.bytes > options.maxBytes)
        callback(new AppError("PAYLOAD_TOO_LARGE", options.overLimitMessage));
      else callback(null, chunk);
    },
  });
  const fields: { name: string | null; manifestText: string | null } = { name: null, manifestText: null };
  let manifestFile: { name: string; text: string } | null = null;
  const files: UploadedFile[] = [];
  const writes: Promise<void>[] = [];
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": options.contentType },
      preservePath: true,
      limits: { fieldSize: MAX_FIELD_BYTES },
    });
  } catch (error) {
    await discard();
    throw new AppError("BAD_INPUT", `The upload is not valid multipart/form-data (${String(error)}).`, {
      cause: error,
    });
  }
  parser.on("field", (fieldName, value) => {
    if (fieldName === "name") fields.name = value;
    else if (fieldName === "manifest") fields.manifestText = value;
  });
  // Each part's promise is awaited once the body has been read; a handler is attached now so a part that
  // fails early is not reported as an unhandled rejection in between.
  const track = (write: Promise<void>) => {
    write.catch(() => {});
    writes.push(write);
  };
  parser.on("file", (fieldName, stream, info) => {
    if (fieldName === "manifest") {
      track(
        readText(stream, MAX_MANIFEST_BYTES, info.filename).then((text) => {
          manifestFile = { name: info.filename || "manifest", text };
        }),
      );
      return;
    }
    if (fieldName !== "files") {
      stream.resume(); // not ours: drained, not kept
      return;
    }
    const staged = path.join(folder, String(files.length));
    const file = { name: info.filename, size: 0, read: () => fs.readFile(staged).then(toBytes) };
    files.push(file);
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        file.size += chunk.byteLength;
        callback(null, chunk);
      },
    });
    track(pipeline(stream, counter, createWriteStream(staged)));
  });
  try {
    await pipeline(
      Readable.fromWeb(options.body as import("node:stream/web").ReadableStream),
      limiter,
      parser,
    );
    await Promise.all(writes);
  } catch (error) {
    await Promise.allSettled(writes);
    await discard();
    if (error instanceof AppError) throw error;
    throw new AppError("BAD_INPUT", `The upload is not valid multipart/form-data (${String(error)}).`, {
      cause: error,
    });
  }
  const manifestText = fields.manifestText;
  return {
    name: fields.name,
    manifest:
      manifestFile ??
      (manifestText === null || manifestText.trim() === "" ? null : { name: "manifest", text: manifestText }),
    files,
    receivedBytes: received.bytes,
    discard,
  };
}

function toBytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

/** A manifest part as text; past `maxBytes` the rest is drained (so the parser reaches the end) and refused. */
function readText(stream: Readable, maxBytes: number, fileName: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    stream.on("data", (chunk: Buffer) => {
      total += chunk.byteLength;
      if (total <= maxBytes) chunks.push(chunk);
    });
    stream.on("error", reject);
    stream.on("end", () => {
      if (total > maxBytes)
        reject(new AppError("PAYLOAD_TOO_LARGE", `The manifest ${fileName} is over ${maxBytes >> 20} MB.`));
      else {
        try {
          resolve(readManifestText(Buffer.concat(chunks), fileName));
        } catch (error) {
          reject(error);
        }
      }
    });
  });
}
