import { z } from "zod";
import { projectionMethodSchema, projectionParamsSchema } from "~/server/services/analysis/projection-params";

/**
 * Every kind of job with the payload it carries. Producers enqueue through these definitions and the worker
 * parses with the same schema before a handler sees the payload (job-handlers.ts pairs each kind with its
 * handler), so a payload is checked on both sides and never cast. This file stays free of handler code so the web
 * server can enqueue without bundling the worker's compute code.
 */
const encodeRunPayload = z.object({ runId: z.string().min(1) });

const encodeBatchPayload = z.object({
  runId: z.string().min(1),
  imageIds: z.array(z.string().min(1)).min(1),
});

const projectionPayload = z.discriminatedUnion("mode", [
  z.object({
    mode: z.literal("pooled"),
    runId: z.string().min(1),
    sources: z.array(z.string()).min(1),
    method: projectionMethodSchema,
    params: projectionParamsSchema,
  }),
  z.object({
    mode: z.literal("patch"),
    runId: z.string().min(1),
    source: z.string(),
    imageIds: z.array(z.string()).min(1),
    method: projectionMethodSchema,
    params: projectionParamsSchema,
  }),
]);

const alignmentPayload = z.object({
  runId: z.string().min(1),
  /** Other runs of the same dataset whose sources get probes too (the paper's Fig. 4); absent for one run. */
  comparisonRunIds: z.array(z.string().min(1)).optional(),
  batchSize: z.number().int().min(2),
  seed: z.number().int(),
  steps: z.number().int().min(1),
});

export const JOB_PAYLOADS = {
  /** Encodes the images of a run that are not stored yet (in scale-out by fanning them out as encode-batch jobs). */
  "encode-run": encodeRunPayload,
  /** Encodes some images of a run (one batch of a fanned-out encode-run job). */
  "encode-batch": encodeBatchPayload,
  /** Lays out pooled vectors or patch tokens (UMAP/PCA) and stores the layouts. */
  projection: projectionPayload,
  /** The paper's alignment analysis of a run; the result is kept on the job. */
  alignment: alignmentPayload,
} as const;

export type JobKind = keyof typeof JOB_PAYLOADS;
export type JobPayload<K extends JobKind> = z.infer<(typeof JOB_PAYLOADS)[K]>;

export const JOB_KINDS = Object.keys(JOB_PAYLOADS) as JobKind[];

// The same map, typed per kind, so a schema looked up by a generic kind parses to that kind's payload.
const PAYLOAD_SCHEMAS: { [K in JobKind]: z.ZodType<JobPayload<K>> } = JOB_PAYLOADS;

/** Parses a stored payload with its kind's schema; a malformed one throws a ZodError naming the field. */
export function parseJobPayload<K extends JobKind>(kind: K, payload: unknown): JobPayload<K> {
  const schema: z.ZodType<JobPayload<K>> = PAYLOAD_SCHEMAS[kind];
  return schema.parse(payload);
}
