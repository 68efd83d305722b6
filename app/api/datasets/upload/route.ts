import { getAppDeps } from "~/server/composition-root";
import { handleDatasetUpload } from "./handle-upload";

// sharp and the SQLite driver are native modules: this handler runs on Node, never the edge runtime.
export const runtime = "nodejs";

export function POST(request: Request): Promise<Response> {
  return handleDatasetUpload(request, getAppDeps());
}
