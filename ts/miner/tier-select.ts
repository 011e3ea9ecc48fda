// Picks the tier a compress request belongs to and checks the request against it (400s).
import type { TierConfig, TierTable } from "../tiers/index.js";
import { MinerError } from "./errors.js";
import type { ServedModel } from "./models.js";

export interface TierChoice {
  name: string;
  tier: TierConfig;
  served: ServedModel;
}

/** Characters as the subnet counts them (Python len(): code points, not UTF-16 units). */
export function charLength(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/**
 * The legacy synapse does not name its tier, so when `requested` is absent the tier is the served one
 * that supports the model and has the smallest context limit the context fits in.
 */
export function selectTier(table: TierTable, servedTiers: readonly string[], models: readonly ServedModel[], context: string, targetModel: string, requested?: string): TierChoice {
  const served = models.find((m) => m.target === targetModel);
  if (!served) throw new MinerError("unsupported_model", `target model '${targetModel}' is not served (served: ${models.map((m) => m.target).join(", ")})`);
  const length = charLength(context);
  const names = requested ? [requested] : [...servedTiers];
  if (requested && !servedTiers.includes(requested)) throw new MinerError("unknown_tier", `tier '${requested}' is not served (served: ${servedTiers.join(", ")})`);
  const withModel = names.map((n) => ({ name: n, tier: table.tiers[n]! })).filter((c) => c.tier && c.tier.supporting_models.includes(targetModel));
  if (withModel.length === 0) throw new MinerError("unsupported_model", `target model '${targetModel}' is not supported by tier ${names.join("/")}`);
  const fitting = withModel.filter((c) => length <= c.tier.max_context_length_in_chars).sort((a, b) => a.tier.max_context_length_in_chars - b.tier.max_context_length_in_chars);
  const best = fitting[0];
  if (!best) {
    const max = Math.max(...withModel.map((c) => c.tier.max_context_length_in_chars));
    throw new MinerError("context_too_long", `context of ${length} characters exceeds the tier limit of ${max}`);
  }
  return { ...best, served };
}
