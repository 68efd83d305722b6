/**
 * Share links made before tokens were hashed (issue 19) keep opening after the upgrade, and their tokens leave the
 * database: the SQLite migrations applied in order to a database holding such links, then the start-up pass.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { hashClearShareTokens } from "~/server/services/share/hash-clear-tokens";
import { resolveShareLink } from "~/server/services/share/resolve-share-link";
import { hashShareToken } from "~/server/services/share/share-link";
import { createDb } from "~/server/store/db";
import { ROOT } from "../helpers/processes";
import { TEST_POSTGRES_URL } from "../helpers/test-database";

const HASHING_MIGRATION = "20261202070000_accounts_audit_hashed_share_tokens";
let work: string | undefined;

afterAll(async () => {
  if (work !== undefined) await fs.rm(work, { recursive: true, force: true });
});

it.skipIf(TEST_POSTGRES_URL !== undefined)(
  "hashes the clear tokens of older links and keeps them opening",
  async () => {
    work = await fs.mkdtemp(path.join(os.tmpdir(), "lens-share-migration-"));
    const file = path.join(work, "lens.db");
    const folder = path.join(ROOT, "prisma", "migrations");
    const migrations = (await fs.readdir(folder)).filter((name) => /^\d{14}_/.test(name)).sort();
    const before = migrations.filter((name) => name < HASHING_MIGRATION);
    const from = migrations.filter((name) => name >= HASHING_MIGRATION);
    expect(from[0]).toBe(HASHING_MIGRATION);
    const sqlite = new Database(file);
    const apply = async (names: string[]) => {
      for (const name of names)
        sqlite.exec(await fs.readFile(path.join(folder, name, "migration.sql"), "utf8"));
    };
    await apply(before);
    sqlite.exec(`INSERT INTO Dataset (id, name, source) VALUES ('d1', 'd', 'demo');
    INSERT INTO Run (id, name, datasetId, modelDir, modelHash, prompts, sources, questions)
      VALUES ('run1', 'r', 'd1', 'm', 'h', '[]', '[]', '[]');`);
    const tokens = [randomBytes(32).toString("base64url"), randomBytes(32).toString("base64url")];
    const insert = sqlite.prepare("INSERT INTO ShareLink (id, token, view, state) VALUES (?, ?, ?, ?)");
    const state = JSON.stringify({ url: { colourBy: "label:x" }, pinnedProjectionIds: [] });
    insert.run("old-run-view", tokens[0], "/runs/run1/explore", state);
    insert.run("old-other-view", tokens[1], "/runs/gone/explore", state);
    await apply(from);
    sqlite.close();

    const db = createDb(`file:${file}`);
    try {
      expect(await hashClearShareTokens({ db })).toBe(2);
      expect(await hashClearShareTokens({ db })).toBe(0);
      const rows = await db.shareLink.findMany({ orderBy: { id: "asc" } });
      expect(rows.map((row) => [row.id, row.tokenHash, row.runId])).toEqual([
        ["old-other-view", hashShareToken(tokens[1] ?? ""), null],
        ["old-run-view", hashShareToken(tokens[0] ?? ""), "run1"],
      ]);
      expect((await resolveShareLink({ db, token: tokens[0] ?? "" })).state).toEqual({ colourBy: "label:x" });
    } finally {
      await db.$disconnect();
    }
    const bytes = await fs.readFile(file);
    for (const token of tokens) expect(bytes.includes(Buffer.from(token ?? ""))).toBe(false);
  },
);
