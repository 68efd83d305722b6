import { AppError } from "~/server/app-error";
import { cleanRelativeName } from "./file-names";

export type ManifestKind = "jsonl" | "csv";
export type LabelValue = string | number | boolean | null;
export type Labels = Record<string, LabelValue>;

/** One manifest row: which file it describes and what is known about it. */
export interface ManifestRow {
  /** 1-based line the row starts on, for messages. */
  line: number;
  /** The file as a clean relative path (forward slashes, no `.`/`..`). */
  file: string;
  caption: string | null;
  labels: Labels | null;
  split: string | null;
}

/** The columns/keys with a meaning of their own; in CSV every other column is a label. */
const KNOWN_KEYS = new Set(["file", "caption", "labels", "split"]);

/** The manifest kind a file name implies, or null when it is not a manifest name. */
export function manifestKindOf(fileName: string): ManifestKind | null {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl";
  if (lower.endsWith(".csv")) return "csv";
  return null;
}

/**
 * Parses a dataset manifest: JSON Lines (`{"file", "caption", "labels": {...}, "split"}` per line; other scalar
 * keys are labels too) or CSV with a header row (RFC 4180 quoting; `file` required; `caption` and `split`
 * optional; every other column is a label). Throws AppError BAD_INPUT naming the line of the first bad row.
 */
export function parseManifest(text: string, kind: ManifestKind): ManifestRow[] {
  const body = text.startsWith("\uFEFF") ? text.slice(1) : text;
  const rows = kind === "jsonl" ? parseJsonLines(body) : parseCsvRows(body);
  const seen = new Map<string, number>();
  for (const row of rows) {
    const first = seen.get(row.file);
    if (first !== undefined) {
      throw badRow(row.line, `"${row.file}" is already listed on line ${first}`);
    }
    seen.set(row.file, row.line);
  }
  return rows;
}

function parseJsonLines(text: string): ManifestRow[] {
  const rows: ManifestRow[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    if (raw.trim() === "") return;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw badRow(line, `not valid JSON (${error instanceof Error ? error.message : String(error)})`);
    }
    if (!isPlainObject(value)) throw badRow(line, "expected a JSON object");
    const labels: Labels = {};
    for (const [key, item] of Object.entries(value)) {
      if (KNOWN_KEYS.has(key)) continue;
      if (!isLabelValue(item)) throw badRow(line, `"${key}" must be a string, number, boolean or null`);
      labels[key] = item;
    }
    if (value.labels !== undefined && value.labels !== null) {
      if (!isPlainObject(value.labels)) throw badRow(line, '"labels" must be a JSON object');
      for (const [key, item] of Object.entries(value.labels)) {
        if (!isLabelValue(item))
          throw badRow(line, `label "${key}" must be a string, number, boolean or null`);
        labels[key] = item;
      }
    }
    rows.push({
      line,
      file: requireFile(value.file, line),
      caption: optionalString(value.caption, "caption", line),
      labels: Object.keys(labels).length > 0 ? labels : null,
      split: optionalString(value.split, "split", line),
    });
  });
  return rows;
}

function parseCsvRows(text: string): ManifestRow[] {
  const records = readCsv(text);
  const header = records[0];
  if (!header)
    throw new AppError("BAD_INPUT", "The CSV manifest is empty; its first row must name the columns.");
  const names = header.fields.map((name) => name.trim());
  const fileColumn = names.indexOf("file");
  if (fileColumn < 0) {
    throw badRow(header.line, `the header needs a "file" column (found: ${names.join(", ") || "nothing"})`);
  }
  const duplicate = names.find((name, i) => names.indexOf(name) !== i);
  if (duplicate !== undefined) throw badRow(header.line, `the column "${duplicate}" appears twice`);

  const rows: ManifestRow[] = [];
  for (const record of records.slice(1)) {
    if (record.fields.length === 1 && record.fields[0] === "") continue; // blank line
    if (record.fields.length !== names.length) {
      throw badRow(
        record.line,
        `expected ${names.length} fields as in the header, found ${record.fields.length}`,
      );
    }
    const cell = (name: string) => {
      const i = names.indexOf(name);
      const value = i < 0 ? "" : (record.fields[i] ?? "");
      return value === "" ? null : value;
    };
    const labels: Labels = {};
    names.forEach((name, i) => {
      const value = record.fields[i] ?? "";
      if (!KNOWN_KEYS.has(name) && name !== "" && value !== "") labels[name] = value;
    });
    rows.push({
      line: record.line,
      file: requireFile(cell("file"), record.line),
      caption: cell("caption"),
      labels: Object.keys(labels).length > 0 ? labels : null,
      split: cell("split"),
    });
  }
  return rows;
}

interface CsvRecord {
  line: number;
  fields: string[];
}

/** RFC 4180: comma-separated, `"` quotes fields, `""` is a quote inside one, CRLF or LF ends a record. */
function readCsv(text: string): CsvRecord[] {
  const records: CsvRecord[] = [];
  let fields: string[] = [];
  let field = "";
  let line = 1;
  let recordLine = 1;
  let quotedSince: number | null = null; // line where the open quote started
  let wasQuoted = false;
  let i = 0;
  const endField = () => {
    fields.push(field);
    field = "";
    wasQuoted = false;
  };
  const endRecord = () => {
    endField();
    records.push({ line: recordLine, fields });
    fields = [];
  };
  while (i < text.length) {
    const char = text[i] as string;
    if (quotedSince !== null) {
      if (char === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        quotedSince = null;
        wasQuoted = true;
      } else {
        if (char === "\n") line++;
        field += char;
      }
      i++;
      continue;
    }
    if (char === '"') {
      if (field !== "" || wasQuoted) throw badRow(line, 'a quote may only start a field (write it as "")');
      quotedSince = line;
    } else if (char === ",") {
      endField();
    } else if (char === "\n" || char === "\r") {
      if (char === "\r" && text[i + 1] === "\n") i++;
      endRecord();
      line++;
      recordLine = line;
    } else {
      if (wasQuoted) throw badRow(line, "unexpected text after a closing quote");
      field += char;
    }
    i++;
  }
  if (quotedSince !== null) throw badRow(quotedSince, "a quoted field is never closed");
  if (field !== "" || fields.length > 0 || wasQuoted) endRecord();
  return records;
}

function requireFile(value: unknown, line: number): string {
  if (typeof value !== "string" || value.trim() === "") throw badRow(line, 'missing "file"');
  const raw = value.trim().replaceAll("\\", "/");
  const clean = cleanRelativeName(raw);
  if (clean === null || raw.startsWith("/") || /^[a-z]:/i.test(raw) || raw.split("/").includes("..")) {
    throw badRow(line, `"${value}" must be a relative path inside the dataset (no "..", no leading "/")`);
  }
  return clean;
}

function optionalString(value: unknown, key: string, line: number): string | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string") throw badRow(line, `"${key}" must be a string`);
  return value;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isLabelValue(value: unknown): value is LabelValue {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function badRow(line: number, problem: string): AppError {
  return new AppError("BAD_INPUT", `Manifest line ${line}: ${problem}.`);
}
