import { z } from "zod";

/** One visual source's alignment probe (paper Figs. 4–5): its training curve, held-out loss and retrieval. */
export const alignmentRowSchema = z.object({
  /** A kept source ("depth:V", "breadth:<OCR>", "fused"), "concat: all", or an ablation "concat − <part>". */
  source: z.string(),
  /** The run whose features the row probes (absent in one-run analyses made before runs were compared). */
  runId: z.string().optional(),
  /** The row's name in figures: the source, prefixed by its run's label when several runs are compared. */
  label: z.string().optional(),
  /** Width of the visual features the probe P maps from. */
  dim: z.number().int(),
  /** Training steps at which the held-out loss was evaluated. */
  steps: z.array(z.number().int()),
  /** Mean training-batch loss over the steps since the previous evaluation, one per `steps` entry. */
  trainLoss: z.array(z.number()),
  /** Held-out loss at each of `steps`. */
  heldOutCurve: z.array(z.number()),
  heldOutLoss: z.number(),
  /** ln N: the loss of a probe that cannot tell a batch's N images apart. */
  chance: z.number(),
  /** Held-out image→text recall at 1 and 5 with the fitted probe. */
  r1: z.number(),
  r5: z.number(),
});
export type AlignmentRow = z.infer<typeof alignmentRowSchema>;

export const ckaMatrixSchema = z.object({
  /** Row/column names: kept sources (labelled like the rows), then "text" (the caption features). */
  sources: z.array(z.string()),
  /**
   * Linear CKA between every pair over the same images (those every compared run encoded, with a caption); null
   * where undefined (a constant representation).
   */
  matrix: z.array(z.array(z.number().nullable())),
});
export type CkaMatrix = z.infer<typeof ckaMatrixSchema>;

export const alignmentSettingsSchema = z.object({
  batchSize: z.number().int(),
  seed: z.number().int(),
  steps: z.number().int(),
  evalEvery: z.number().int(),
  optimizer: z.string(),
  learningRate: z.number(),
  heldOutFraction: z.number(),
  /** Images with a caption and every source: the ones the analysis used. */
  images: z.number().int(),
  trainImages: z.number().int(),
  heldOutImages: z.number().int(),
  /** Encoded images left out because their dataset item has no caption. */
  skippedWithoutCaption: z.number().int(),
  /** Fingerprint of the language model that made the caption features, when known. */
  textModel: z.string().nullable(),
  /** False when the text features came from another model than the run's (curves then compare other things). */
  isTextModelOfRun: z.boolean().nullable(),
  textDim: z.number().int(),
});
export type AlignmentSettings = z.infer<typeof alignmentSettingsSchema>;

/** One kept source's fitted probe P: `x ↦ x W + b`, float32 little-endian bytes as base64. */
export const alignmentProbeSchema = z.object({
  source: z.string(),
  /** [visualDim, textDim] of the weight. */
  dims: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  weight: z.string(),
  bias: z.string(),
});
export type AlignmentProbe = z.infer<typeof alignmentProbeSchema>;

/** One run of a (cross-run) analysis: its rows are labelled `<label> · <source>` when there are several. */
export const alignmentRunSchema = z.object({
  runId: z.string(),
  name: z.string(),
  /** The model's name (or the run's, where two compared runs share a model). */
  label: z.string(),
  /** The run whose language model made the caption features. */
  isTextRun: z.boolean(),
});
export type AlignmentRun = z.infer<typeof alignmentRunSchema>;

/** What an alignment job stores on its Job row; `getAlignment` returns it without the probes. */
export const alignmentResultSchema = z.object({
  /** The run the analysis was requested on (its first run); its probes serve text search. */
  runId: z.string(),
  /** Every run compared, the requested one first (absent in analyses made before runs were compared). */
  runs: z.array(alignmentRunSchema).optional(),
  settings: alignmentSettingsSchema,
  rows: z.array(alignmentRowSchema),
  cka: ckaMatrixSchema,
  /** The requested run's kept sources' probes, for text search (absent in analyses made before they were kept). */
  probes: z.array(alignmentProbeSchema).optional(),
});
export type AlignmentResult = z.infer<typeof alignmentResultSchema>;
