import { strToU8, zipSync } from "fflate";

/** A zip of named files (figures, CSVs, a README); text is stored as UTF-8. Deterministic for equal inputs. */
export function buildFigurePack(files: Record<string, string | Uint8Array>): Uint8Array {
  const entries: Record<string, [Uint8Array, { mtime: Date }]> = {};
  // A fixed timestamp keeps equal packs byte-identical (zip stores one per entry).
  const mtime = new Date("2000-01-01T00:00:00Z");
  for (const [name, content] of Object.entries(files)) {
    entries[name] = [typeof content === "string" ? strToU8(content) : content, { mtime }];
  }
  return zipSync(entries, { level: 6 });
}
