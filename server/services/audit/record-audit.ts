import type { Db } from "~/server/store/db";

export interface AuditActor {
  actorId: string | null;
  actorEmail: string;
}

/** Keys of a request or answer the log keeps: what the action touched, never payloads or secrets. */
const KEPT_KEY = /(^id$|Id$|Ids$|^name$|^view$|^email$|^role$|^folder$)/;
const MAX_VALUE_CHARS = 300;

/** The ids and names of a value (a procedure's input or answer), one level deep. */
export function auditDetailOf(value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return {};
  const detail: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (!KEPT_KEY.test(key)) continue;
    if (typeof inner === "string") detail[key] = inner.slice(0, MAX_VALUE_CHARS);
    else if (Array.isArray(inner) && inner.every((item) => typeof item === "string"))
      detail[key] = inner.slice(0, 64);
  }
  return detail;
}

/** Appends one entry: who did what to which ids. */
export async function recordAudit(options: {
  db: Db;
  actor: AuditActor;
  action: string;
  detail: Record<string, unknown>;
  at?: Date;
}): Promise<void> {
  await options.db.auditLog.create({
    data: {
      actorId: options.actor.actorId,
      actorEmail: options.actor.actorEmail,
      action: options.action,
      detail: options.detail as object,
      at: options.at ?? new Date(),
    },
  });
}
