import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

const SECRET_FILE = "auth-secret";

/**
 * The secret that signs session cookies when AUTH_SECRET is not set: made once, randomly, and kept in the data
 * folder (readable by its owner only), so sessions survive restarts and every process on this data folder (web
 * server, CLI) agrees on it.
 */
export function readOrCreateAuthSecret(dataDir: string): string {
  const file = path.join(dataDir, SECRET_FILE);
  mkdirSync(dataDir, { recursive: true });
  try {
    // `wx`: the first process to start writes it; any other reads what that one wrote.
    writeFileSync(file, randomBytes(32).toString("base64url"), { flag: "wx", mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return readFileSync(file, "utf8").trim();
}
