import { z } from "zod";
import { urlStateCodec } from "~/lib/viz/url-state";

/** The alignment view's state as URL search parameters; each falls back to its default on its own. */

// The server's defaults for a new analysis (server/api/routers/analysis.ts).
const DEFAULT_BATCH_SIZE = 32;
const DEFAULT_STEPS = 300;

const schema = z.object({
  /** Which loss the curve figures show. */
  curve: z.enum(["heldOut", "train", "both"]).catch("heldOut"),
  batchSize: z.coerce.number().int().min(2).max(1024).catch(DEFAULT_BATCH_SIZE),
  steps: z.coerce.number().int().min(10).max(5000).catch(DEFAULT_STEPS),
  seed: z.coerce
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1)
    .catch(0),
  /** Other runs of the dataset the next analysis compares (ids, comma-separated in the URL). */
  compare: z
    .string()
    .transform((text) => text.split(",").filter((s) => s.length > 0))
    .catch([]),
  /** A requested analysis still running: followed until it ends, also after a reload. */
  job: z.string().max(100).catch(""),
});

export type AlignmentState = z.infer<typeof schema>;

const PARAM: Record<keyof AlignmentState, string> = {
  curve: "curve",
  batchSize: "bs",
  steps: "steps",
  seed: "seed",
  compare: "compare",
  job: "job",
};

export const alignmentStateCodec = urlStateCodec(schema, PARAM);
