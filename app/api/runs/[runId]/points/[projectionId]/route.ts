import { encodeFrame } from "~/lib/viz/typed-frame";
import { getAppDeps } from "~/server/composition-root";
import { getPanelPoints } from "~/server/services/explorer/panel-points";
import { errorResponse } from "../../../../_http/error-response";
import { requireAccess } from "../../../../_http/require-access";
import { frameResponse } from "../frame-response";

export const runtime = "nodejs";

/**
 * GET /api/runs/<runId>/points/<projectionId>?reference=<projectionId>: one explorer panel as a binary frame —
 * Float32 coordinates aligned to the reference and each row's point index — for viewers, and for holders of a
 * share link that pins these projections.
 */
export async function GET(
  request: Request,
  context: { params: Promise<{ runId: string; projectionId: string }> },
): Promise<Response> {
  const { runId, projectionId } = await context.params;
  const reference = new URL(request.url).searchParams.get("reference") || projectionId;
  const access = await requireAccess(request, "viewer", {
    shareClaim: { runId, projectionIds: [projectionId, reference] },
  });
  if (access instanceof Response) return access;
  try {
    const panel = await getPanelPoints({
      db: getAppDeps().db,
      runId,
      projectionId,
      referenceProjectionId: reference,
    });
    return frameResponse(encodeFrame(panel.meta, { coords: panel.coords, pointIndex: panel.pointIndex }));
  } catch (error) {
    return errorResponse(error, `runs/${runId}/points/${projectionId}`);
  }
}
