import { createHash } from "node:crypto";
import { canonicalJson } from "~/lib/analysis/projection-key";

/** The enqueue-once key of a request: the same request (whatever its field order) gives the same key. */
export function requestKeyOf(request: Record<string, unknown>): string {
  return createHash("sha256").update(canonicalJson(request)).digest("hex");
}
