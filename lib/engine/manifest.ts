import { z } from "zod";

/**
 * `fvl.json`, the manifest our exports add to a Florence-2 folder (docs/architecture.md). Only what the engine relies on is
 * validated; other keys (training settings, metrics, ablations) pass through for display.
 */
const depthLevel = z.object({
  name: z.string(),
  output: z.string(),
  graph: z.string(),
  grid: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  dims: z.number().int().positive(),
  layout: z.enum(["BCHW", "BNC"]),
  pooled_token: z.boolean(),
});

const attentionOutput = z.object({ names: z.array(z.string()), shape: z.string(), kind: z.string() });

export const fvlManifestSchema = z.looseObject({
  layout_version: z.literal(1),
  name: z.string(),
  image_token_count: z.number().int().positive(),
  depth_levels: z.array(depthLevel).min(1),
  prompts: z
    .array(
      z.object({
        task: z.string(),
        name: z.string(),
        text: z.string(),
        /** Florence-VL's fixed, padded token ids of the prompt (used in the "florence-vl" breadth mode). */
        token_ids: z.array(z.number().int().min(0)).optional(),
      }),
    )
    .min(1),
  /** How the breadth prompts enter the encoder; absent = "lens" (tokenized, padding masked). */
  breadth: z.looseObject({ mode: z.enum(["florence-vl", "lens"]).optional() }).optional(),
  /** Florence-VL pads images to a square with the mean colour (expand2square) before preprocessing. */
  preprocess: z.looseObject({ pad_to_square: z.boolean() }).optional(),
  /** Weight variants present (`_fp16` graph files for fp16); absent = fp32 only. */
  dtypes: z
    .array(z.enum(["fp32", "fp16"]))
    .min(1)
    .optional(),
  /** Provenance of exports made by tools/export from a checkpoint folder. */
  source: z
    .looseObject({
      format: z.string(),
      files: z.record(z.string(), z.string()),
      exporter_version: z.string(),
    })
    .optional(),
  fusion: z.object({
    method: z.literal("channel_concat"),
    order: z.array(z.string()).min(1),
    dims: z.number().int().positive(),
    /** null when the checkpoint has no projector (Florence-2): `fused` is then the raw concatenation. */
    projector: z.string().nullable(),
    input: z.string().optional(),
    output: z.string().optional(),
    output_dims: z.number().int().positive().optional(),
  }),
  // The language-model part (Florence-VL): absent in Florence-2 exports.
  chat_template: z.string().includes("{question}").optional(),
  chat: z
    .object({
      image_token: z.string(),
      prepend_bos: z.boolean(),
      end_token: z.string(),
      max_new_tokens: z.number().int().positive(),
      // How `tokenizer(chunk)` wraps each chunk around the image (Florence-VL's tokenizer_image_token); without
      // them a chunk is wrapped in [bos] when prepend_bos is set.
      chunk_prefix_ids: z.array(z.number().int()).optional(),
      chunk_suffix_ids: z.array(z.number().int()).optional(),
      bos_token_id: z.number().int().nullable().optional(),
      /** Tokens that end an answer besides end_token (e.g. <|endoftext|>). */
      stop_tokens: z.array(z.string()).optional(),
    })
    .optional(),
  llm: z
    .object({
      embed: z.string(),
      decoder: z.string(),
      layers: z.number().int().positive(),
      /** The language model's own tokenizer when it differs from Florence-2's tokenizer.json. */
      tokenizer: z.string().optional(),
      tokenizer_config: z.string().optional(),
      /** The weights of `embed` / `decoder` (fp32, fp16). */
      dtype: z.string().optional(),
      /** Weight variants by name (fp32, fp16, int8, int4), each with its graphs, size and measured quality change. */
      variants: z
        .record(
          z.string(),
          z.looseObject({ decoder: z.string(), embed: z.string(), weight_bytes: z.number().optional() }),
        )
        .optional(),
    })
    .optional(),
  florence2: z.object({
    decoder: z.string(),
    num_beams: z.number().int().positive(),
    no_repeat_ngram_size: z.number().int().min(0),
    max_new_tokens: z.record(z.string(), z.number().int().positive()),
  }),
  attention_outputs: z.record(z.string(), attentionOutput),
  metrics: z.record(z.string(), z.unknown()).optional(),
  ablation: z.record(z.string(), z.unknown()).optional(),
  training: z.record(z.string(), z.unknown()).optional(),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
});

export type FvlManifest = z.infer<typeof fvlManifestSchema>;

/** A manifest with its language-model part (chat template, chat settings, LLM graphs). */
export type LanguageModelManifest = FvlManifest &
  Required<Pick<FvlManifest, "chat_template" | "chat" | "llm">>;

export function hasLanguageModel(manifest: FvlManifest): manifest is LanguageModelManifest {
  return manifest.chat_template !== undefined && manifest.chat !== undefined && manifest.llm !== undefined;
}
