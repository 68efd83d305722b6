/**
 * CSV (RFC 4180) for the data behind a figure: one row per point and panel. Fields with a comma, quote or line
 * break are quoted; a leading =, +, - or @ is prefixed with ' so spreadsheet apps never run a caption as a formula.
 */

export type CsvValue = string | number | boolean | null;

function csvField(value: CsvValue): string {
  if (value === null) return "";
  if (typeof value === "number") return Number.isFinite(value) ? String(value) : "";
  let text = String(value);
  if (/^[=+\-@]/.test(text) && typeof value === "string") text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function buildCsv(header: readonly string[], rows: Iterable<readonly CsvValue[]>): string {
  const lines = [header.map(csvField).join(",")];
  for (const row of rows) lines.push(row.map(csvField).join(","));
  return `${lines.join("\r\n")}\r\n`;
}
