import type { Db } from "~/server/store/db";

export interface AuditEntry {
  id: string;
  at: Date;
  actorEmail: string;
  action: string;
  detail: Record<string, unknown>;
}

/** The newest entries first, optionally only those before a time (paging back). */
export async function listAudit(options: { db: Db; limit: number; before?: Date }): Promise<AuditEntry[]> {
  const rows = await options.db.auditLog.findMany({
    where: options.before === undefined ? {} : { at: { lt: options.before } },
    orderBy: { at: "desc" },
    take: options.limit,
  });
  return rows.map((row) => ({
    id: row.id,
    at: row.at,
    actorEmail: row.actorEmail,
    action: row.action,
    detail: (row.detail ?? {}) as Record<string, unknown>,
  }));
}
