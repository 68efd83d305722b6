import { z } from "zod";
import type { ServedModel } from "~/server/inference/engine-host";

/** What a run keeps and asks; stored as JSON on the Run row and validated whenever it is read back. */
export const runSettingsSchema = z.object({
  prompts: z.array(z.string().min(1).max(500)).min(1).max(16),
  /** Feature sources kept: `depth:stage1..4` (large, opt-in), `depth:V`, `breadth:<prompt key>`, `fused`. */
  sources: z.array(z.string().min(1)).min(1),
  questions: z.array(z.string().min(1).max(500)).max(32),
  dtype: z.enum(["fp16", "fp32"]),
});

export type RunSettings = z.infer<typeof runSettingsSchema>;

/**
 * The served model a run was made with, as the inference server's health reported it when the run was created:
 * source format, weight dtype, breadth mode and pad-to-square say how its features were computed.
 */
export const runModelInfoSchema = z.object({
  name: z.string(),
  sourceFormat: z.string(),
  dtype: z.enum(["fp32", "fp16"]),
  dtypes: z.array(z.enum(["fp32", "fp16"])),
  breadthMode: z.enum(["florence-vl", "lens"]),
  padToSquare: z.boolean(),
}) satisfies z.ZodType<ServedModel>;

export type RunModelInfo = z.infer<typeof runModelInfoSchema>;

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
