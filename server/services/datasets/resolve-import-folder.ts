/**
 * Server folders are imported only from under the configured roots (IMPORT_ROOTS). Every check is on real paths
 * (symlinks resolved), so `..`, absolute paths elsewhere and symlinks that lead out are refused alike.
 */
import type { Dirent } from "node:fs";
import fs from "node:fs/promises";
import path from "node:path";
import { AppError } from "~/server/app-error";
import { isJunkName } from "./file-names";

export interface FolderFile {
  /** Relative to the imported folder, forward slashes. */
  fileName: string;
  /** Real path of the regular file to read. */
  realPath: string;
  size: number;
}

/** Resolves `folder` (absolute, or relative to a root) to its real path inside one of `roots`. */
export async function resolveImportFolder(options: {
  roots: readonly string[];
  folder: string;
}): Promise<{ folder: string; root: string }> {
  const requested = options.folder.trim();
  if (requested === "") throw new AppError("BAD_INPUT", "Give the folder to import.");
  if (requested.split(/[\\/]/).includes("..")) {
    throw new AppError("BAD_INPUT", `The folder "${requested}" contains "..": ${outsideHint(options.roots)}`);
  }
  const roots = await realRoots(options.roots);
  const candidates = path.isAbsolute(requested)
    ? [path.resolve(requested)]
    : options.roots.map((root) => path.resolve(root, requested));
  if (path.isAbsolute(requested)) {
    // Refuse before touching the file system, so the answer never says whether a folder elsewhere exists.
    const lexical = candidates[0] ?? requested;
    const isUnderRoot = [...options.roots, ...roots].some((root) => isInside(lexical, root));
    if (!isUnderRoot) throw outside(requested, options.roots);
  }
  for (const candidate of candidates) {
    const real = await fs.realpath(candidate).catch(() => null);
    if (real === null) continue;
    const root = roots.find((r) => isInside(real, r));
    if (root === undefined) throw outside(requested, options.roots);
    const stat = await fs.stat(real);
    if (!stat.isDirectory()) throw new AppError("BAD_INPUT", `"${requested}" is a file, not a folder.`);
    return { folder: real, root };
  }
  throw new AppError(
    "NOT_FOUND",
    `No folder "${requested}" under the import roots (${options.roots.join(", ")}).`,
  );
}

/** A file inside the roots (a manifest named by the user), resolved like a folder. */
export async function resolveImportFile(options: {
  roots: readonly string[];
  base: string;
  file: string;
}): Promise<string> {
  const requested = options.file.trim();
  if (requested.split(/[\\/]/).includes("..")) {
    throw new AppError(
      "BAD_INPUT",
      `The manifest path "${requested}" contains "..": ${outsideHint(options.roots)}`,
    );
  }
  const roots = await realRoots(options.roots);
  const candidate = path.resolve(options.base, requested);
  const real = await fs.realpath(candidate).catch(() => null);
  if (real === null) {
    throw new AppError("NOT_FOUND", `The manifest "${requested}" does not exist.`);
  }
  if (!roots.some((root) => isInside(real, root))) throw outside(requested, options.roots);
  if (!(await fs.stat(real)).isFile())
    throw new AppError("BAD_INPUT", `The manifest "${requested}" is not a file.`);
  return real;
}

/**
 * Every regular file under `folder`, in a stable (sorted) order. Symlinked files are followed when they stay inside
 * the roots; one that leads out refuses the whole import, naming it. Symlinked folders (possible cycles), special
 * files and junk (`__MACOSX/`, dotfiles) are listed in `skipped`.
 */
export async function listFolderFiles(options: {
  roots: readonly string[];
  folder: string;
  maxFiles: number;
}): Promise<{ files: FolderFile[]; skipped: string[] }> {
  const roots = await realRoots(options.roots);
  const files: FolderFile[] = [];
  const skipped: string[] = [];
  const walk = async (dir: string, prefix: string): Promise<void> => {
    const entries: Dirent[] = await fs.readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (files.length > options.maxFiles) return; // over the limit: the caller reports it
      const fileName = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
      const full = path.join(dir, entry.name);
      if (isJunkName(fileName)) {
        skipped.push(fileName);
        continue;
      }
      if (entry.isDirectory()) {
        await walk(full, fileName);
        continue;
      }
      let real = full;
      if (entry.isSymbolicLink()) {
        const target = await fs.realpath(full).catch(() => null);
        if (target === null) {
          skipped.push(`${fileName} (a broken symlink)`);
          continue;
        }
        if (!roots.some((root) => isInside(target, root))) {
          throw new AppError(
            "BAD_INPUT",
            `"${fileName}" in the folder is a symlink to ${target}, outside the import roots; nothing was imported. Remove the link or copy the file in.`,
          );
        }
        real = target;
      }
      const stat = await fs.stat(real);
      if (stat.isDirectory()) {
        skipped.push(`${fileName} (a symlinked folder)`);
      } else if (!stat.isFile()) {
        skipped.push(`${fileName} (not a regular file)`);
      } else {
        files.push({ fileName, realPath: real, size: stat.size });
      }
    }
  };
  await walk(options.folder, "");
  return { files, skipped };
}

/** True when `child` is `parent` or inside it (both absolute). */
export function isInside(child: string, parent: string): boolean {
  const relative = path.relative(parent, child);
  return (
    relative === "" ||
    (relative !== ".." && !relative.startsWith(`..${path.sep}`) && !path.isAbsolute(relative))
  );
}

async function realRoots(roots: readonly string[]): Promise<string[]> {
  const resolved = await Promise.all(roots.map((root) => fs.realpath(root).catch(() => null)));
  return resolved.filter((root): root is string => root !== null);
}

function outside(requested: string, roots: readonly string[]): AppError {
  return new AppError("BAD_INPUT", `"${requested}" is outside the import roots: ${outsideHint(roots)}`);
}

function outsideHint(roots: readonly string[]): string {
  return `only folders under ${roots.join(", ")} can be imported (IMPORT_ROOTS). Put the images there, or add their folder to IMPORT_ROOTS.`;
}
