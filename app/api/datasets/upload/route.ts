import { actorOf } from "~/server/auth/access";
import { getAppDeps } from "~/server/composition-root";
import { auditDetailOf, recordAudit } from "~/server/services/audit/record-audit";
import { requireAccess } from "../../_http/require-access";
import { handleDatasetUpload } from "./handle-upload";

// sharp and the SQLite driver are native modules: this handler runs on Node, never the edge runtime.
export const runtime = "nodejs";

/** A browser upload makes a dataset: members and administrators, from a page of this dashboard. */
export async function POST(request: Request): Promise<Response> {
  const access = await requireAccess(request, "member");
  if (access instanceof Response) {
    await request.body?.cancel();
    return access;
  }
  const deps = getAppDeps();
  return handleDatasetUpload(request, {
    ...deps,
    onImported: (report) =>
      recordAudit({
        db: deps.db,
        actor: actorOf(access),
        action: "datasets.upload",
        detail: auditDetailOf({ datasetId: report.dataset.id, name: report.dataset.name }),
      }),
  });
}
