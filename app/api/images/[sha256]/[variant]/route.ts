import { getAppDeps } from "~/server/composition-root";
import { readImageVariant } from "~/server/services/datasets/read-image-variant";
import { errorResponse } from "../../../_http/error-response";
import { requireAccess } from "../../../_http/require-access";

export const runtime = "nodejs";

/**
 * GET /api/images/<sha256>/thumbnail (WebP) or /original (the uploaded bytes), for viewers, and for holders of a
 * share link whose run has the image. Content-addressed, so the answer for a URL never changes: cached as
 * immutable, but privately (a shared cache must not hand it to someone without access). Originals are sandboxed, and files that are not readable images
 * are downloads, so an uploaded SVG or HTML file can never run script on this origin.
 */
export async function GET(
  request: Request,
  context: { params: Promise<{ sha256: string; variant: string }> },
): Promise<Response> {
  const { sha256, variant } = await context.params;
  const etag = `"${sha256}-${variant}"`;
  const access = await requireAccess(request, "viewer", { shareClaim: { imageSha256: sha256 } });
  if (access instanceof Response) return access;
  try {
    const { db, dataDir } = getAppDeps();
    const file = await readImageVariant({ db, dataDir, sha256, variant });
    const headers = new Headers({
      "Content-Type": file.contentType,
      "Cache-Control": "private, max-age=31536000, immutable",
      ETag: etag,
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    });
    if (!file.isImage) headers.set("Content-Disposition", `attachment; filename="${sha256}"`);
    if (request.headers.get("if-none-match") === etag) return new Response(null, { status: 304, headers });
    return new Response(new Uint8Array(file.bytes), { headers });
  } catch (error) {
    return errorResponse(error, `images/${sha256}/${variant}`);
  }
}
