// The tier table's schema: one tier = one SN19-style "task" a miner may serve (see config/tiers.json).
import { z } from "zod";

/** Tier names become metric labels, URL parts and S3 key prefixes, so keep them to a safe alphabet. */
export const TierName = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, "tier names are lower-case [a-z0-9_], at most 32 characters");

export const TierConfigSchema = z
  .strictObject({
    /** Share of the subnet's emission given to this tier, 0..1. Tiers at 0 are not validated. */
    incentive_percentage: z.number().min(0).max(1),
    /** RPE: the request budget per epoch a miner splits between validators by stake. */
    requests_per_epoch: z.number().int().positive(),
    /** Dendrite timeout for one compress request, seconds. */
    timeout_s: z.number().positive().max(3600),
    /** Target model ids (Hugging Face) whose KV cache this tier asks for. */
    supporting_models: z.array(z.string().min(1)).min(1),
    min_condensed_tokens: z.number().int().nonnegative(),
    max_condensed_tokens: z.number().int().positive(),
    min_compress_rate: z.number().gt(0).max(1).default(0.1),
    max_compress_rate: z.number().gt(0).max(1).default(1.0),
    max_context_length_in_chars: z.number().int().positive(),
    accelerate_reward_scalar: z.number().min(0).max(1),
    /**
     * Bounds for requests that name no tier: the subnet's own validators (v0.0.3), whose research tier
     * allows contexts of 15000 characters and up to 1536 kept tokens. Absent = such requests get this
     * tier's own bounds.
     */
    legacy: z
      .strictObject({
        max_context_length_in_chars: z.number().int().positive(),
        max_condensed_tokens: z.number().int().positive(),
      })
      .optional(),
  })
  .refine((t) => t.min_condensed_tokens <= t.max_condensed_tokens, {
    message: "min_condensed_tokens must not exceed max_condensed_tokens",
    path: ["min_condensed_tokens"],
  })
  .refine((t) => t.min_compress_rate <= t.max_compress_rate, {
    message: "min_compress_rate must not exceed max_compress_rate",
    path: ["min_compress_rate"],
  })
  .refine((t) => !t.legacy || t.min_condensed_tokens <= t.legacy.max_condensed_tokens, {
    message: "min_condensed_tokens must not exceed legacy.max_condensed_tokens",
    path: ["legacy", "max_condensed_tokens"],
  });

export const TierTableSchema = z
  .strictObject({
    /** Length of the scoring period (the subnet's epoch) in seconds; budgets and capacities are per period. */
    scoring_period_s: z.number().int().positive().default(600),
    tiers: z.record(TierName, TierConfigSchema),
    /**
     * Other ids validators use for a supporting model, mapped to the id the tiers list: the subnet's
     * validators ask for `Condense-AI/Mistral-7B-Instruct-v0.2`, a copy of `mistralai/Mistral-7B-Instruct-v0.2`.
     */
    model_aliases: z.record(z.string().min(1), z.string().min(1)).default({}),
  })
  .refine((t) => Object.keys(t.tiers).length > 0, { message: "at least one tier is required", path: ["tiers"] })
  .refine((t) => Object.values(t.tiers).reduce((s, x) => s + x.incentive_percentage, 0) <= 1 + 1e-9, {
    message: "incentive percentages add up to more than 1",
    path: ["tiers"],
  })
  .refine((t) => Object.values(t.model_aliases).every((m) => Object.values(t.tiers).some((x) => x.supporting_models.includes(m))), {
    message: "every alias must name a supporting model of some tier",
    path: ["model_aliases"],
  });

export type TierConfig = z.infer<typeof TierConfigSchema>;
export type TierTable = z.infer<typeof TierTableSchema>;

/** The canonical model id for what a validator asked for (an alias or the id itself). */
export function canonicalModel(table: TierTable, id: string): string {
  return Object.hasOwn(table.model_aliases, id) ? table.model_aliases[id]! : id;
}
