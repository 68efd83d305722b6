import { encodeFrame } from "~/lib/viz/typed-frame";
import { getAppDeps } from "~/server/composition-root";
import { getPointTable } from "~/server/services/explorer/point-table";
import { errorResponse } from "../../../_http/error-response";
import { requireAccess } from "../../../_http/require-access";
import { frameResponse } from "./frame-response";

export const runtime = "nodejs";

/**
 * GET /api/runs/<runId>/points?colour=<colourBy>: the run's point table (lib/viz/point-table.ts) as one binary
 * frame — each point's status and colour code — for viewers and holders of a share link to the run.
 */
export async function GET(
  request: Request,
  context: { params: Promise<{ runId: string }> },
): Promise<Response> {
  const { runId } = await context.params;
  const access = await requireAccess(request, "viewer", { shareClaim: { runId } });
  if (access instanceof Response) return access;
  try {
    const colourBy = new URL(request.url).searchParams.get("colour") ?? "";
    const table = await getPointTable({ db: getAppDeps().db, runId, colourBy });
    return frameResponse(encodeFrame(table.meta, { status: table.status, codes: table.codes }));
  } catch (error) {
    return errorResponse(error, `runs/${runId}/points`);
  }
}
