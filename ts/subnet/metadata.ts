// The one Metadata (capacity) type: what a miner answers in the `Metadata` synapse's `metadata` dict, built
// by the miner and parsed by the validator's scheduler. The reply comes from a hostile party, so the parser
// bounds every field; a legacy subnet miner answers only `{"tier": ...}`, which parses with no tiers.
import { z } from "zod";
import { TierName } from "./tier-schema.js";

const count = z.number().int().min(0).max(1_000_000_000);

export const TierCapacitySchema = z.object({
  /** Requests per scoring period the miner accepts for this tier, from all validators together. */
  capacity: count,
  /** The asking validator's budget for this tier this period (ts/subnet validatorBudget). */
  budget: count,
  /** How much of that budget the asking validator has used this period. */
  used: count,
});

export const MinerMetadataSchema = z.object({
  /** The subnet's field (legacy validators read it): the first tier the miner serves. */
  tier: z.string().max(64).optional(),
  tiers: z
    .record(TierName, TierCapacitySchema)
    .refine((t) => Object.keys(t).length <= 32, "at most 32 tiers")
    .optional(),
  scoring_period_s: z.number().int().positive().max(86_400 * 30).optional(),
  /** Target model ids the miner serves (canonical ids of the tier table). */
  target_models: z.array(z.string().min(1).max(256)).max(32).optional(),
  algorithm: z.string().max(64).optional(),
});

export type TierCapacity = z.output<typeof TierCapacitySchema>;
export type MinerMetadata = z.output<typeof MinerMetadataSchema>;

export class MetadataParseError extends Error {
  override readonly name = "MetadataParseError";
}

/** Validates a miner's `metadata` dict; throws MetadataParseError naming the first bad field. */
export function parseMinerMetadata(raw: unknown): MinerMetadata {
  const r = MinerMetadataSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new MetadataParseError(`invalid miner metadata at ${i.path.join(".") || "(root)"}: ${i.message}`);
  }
  return r.data;
}
