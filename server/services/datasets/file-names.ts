/**
 * File names as datasets record them: relative, forward slashes, nothing that could climb out of a folder. Storage
 * is by content hash, so a name never decides where bytes go; it is only what the user sees and what a manifest
 * matches against.
 */

/**
 * A clean relative name for a name from an upload or a zip entry: backslashes become `/`, drive letters, empty,
 * `.` and `..` segments are dropped (a zip-slip name like `../../etc/x.png` becomes `etc/x.png`). Null when
 * nothing is left.
 */
export function cleanRelativeName(raw: string): string | null {
  const segments = raw
    .replaceAll("\\", "/")
    .replace(/^[a-z]:/i, "")
    .split("/")
    .filter((segment) => segment !== "" && segment !== "." && segment !== "..");
  return segments.length > 0 ? segments.join("/") : null;
}

/** macOS resource forks (`__MACOSX/`), dotfiles and dot-folders: never dataset content. */
export function isJunkName(relativeName: string): boolean {
  return relativeName.split("/").some((segment) => segment === "__MACOSX" || segment.startsWith("."));
}

/** The last path segment. */
export function baseName(relativeName: string): string {
  return relativeName.slice(relativeName.lastIndexOf("/") + 1);
}
