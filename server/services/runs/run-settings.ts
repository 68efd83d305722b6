import { z } from "zod";

/** What a run keeps and asks; stored as JSON on the Run row and validated whenever it is read back. */
export const runSettingsSchema = z.object({
  prompts: z.array(z.string().min(1).max(500)).min(1).max(16),
  /** Feature sources kept: `depth:stage1..4` (large, opt-in), `depth:V`, `breadth:<prompt key>`, `fused`. */
  sources: z.array(z.string().min(1)).min(1),
  questions: z.array(z.string().min(1).max(500)).max(32),
  dtype: z.enum(["fp16", "fp32"]),
});

export type RunSettings = z.infer<typeof runSettingsSchema>;

export const DEFAULT_PROMPTS = ["<DETAILED_CAPTION>", "<OCR>", "<DENSE_REGION_CAPTION>"];
export const DEFAULT_QUESTIONS = ["How many objects are there?", "What word is written in the image?"];

/** The sources a run keeps by default: V, one per prompt, fused; per-stage grids only when asked. */
export function defaultSources(prompts: readonly string[], includeStages: boolean): string[] {
  const stages = includeStages ? ["depth:stage1", "depth:stage2", "depth:stage3", "depth:stage4"] : [];
  return [
    ...stages,
    "depth:V",
    ...prompts.map((p) => `breadth:${p.startsWith("<") ? p : `custom:${p}`}`),
    "fused",
  ];
}
