// The organic API's request and response bodies; the handler parses with these and the OpenAPI document is
// generated from them, so the two cannot drift.
import { z } from "zod";

export const CondenseRequestSchema = z
  .object({
    context: z.string().min(1),
    tier: z.string().min(1).max(64),
    target_model: z.string().min(1).max(256),
    miner_uid: z.number().int().min(0).max(65535).optional(),
    top_fraction: z.number().gt(0).lte(1).optional(),
  })
  .strict();
export type CondenseRequest = z.infer<typeof CondenseRequestSchema>;

export const CondenseResponseSchema = z.object({
  url: z.string(),
  miner_uid: z.number().int(),
  kept_tokens: z.number().int(),
  original_tokens: z.number().int(),
  /** ISO 8601; null when the miner's store does not say. */
  expires_at: z.string().nullable(),
});
export type CondenseResponse = z.infer<typeof CondenseResponseSchema>;

export const ErrorBodySchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    attempts: z.array(z.object({ miner_uid: z.number().int(), outcome: z.string() })).optional(),
  }),
});
