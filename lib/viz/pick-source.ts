// The source shown when a view names none (or one the run lacks): the fused features are what the language
// model sees.
const PREFERRED_SOURCE = "fused";

/** `wanted` when available, else the fused features, else the first available source ("" when none). */
export function pickSource(available: readonly string[], wanted: string): string {
  if (available.includes(wanted)) return wanted;
  return available.includes(PREFERRED_SOURCE) ? PREFERRED_SOURCE : (available[0] ?? "");
}
