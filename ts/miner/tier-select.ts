// Picks the tier a compress request belongs to and checks the request against it (400s).
import { canonicalModel, charLength, type TierConfig, type TierTable } from "../subnet/index.js";
import { MinerError } from "./errors.js";
import type { ServedModel } from "./models.js";

export interface TierChoice {
  name: string;
  tier: TierConfig;
  served: ServedModel;
  /** The bounds this request is held to: the tier's own, or its legacy ones for a request naming no tier. */
  maxChars: number;
  minTokens: number;
  maxTokens: number;
}

/**
 * Our validators name the tier. When `requested` is absent the tier is the served one that supports the
 * model and has the smallest context limit the context fits in. A request from the subnet's own validators
 * (v0.0.3: no tier, no format, `subnetValidator`) is held to each tier's `legacy` bounds. Model aliases
 * (the subnet's `Condense-AI/...` id) resolve first.
 */
export function selectTier(
  table: TierTable,
  servedTiers: readonly string[],
  models: readonly ServedModel[],
  context: string,
  targetModel: string,
  requested?: string,
  subnetValidator = false,
): TierChoice {
  const model = canonicalModel(table, targetModel);
  const served = models.find((m) => m.target === model);
  if (!served) throw new MinerError("unsupported_model", `target model '${clip(targetModel)}' is not served (served: ${models.map((m) => m.target).join(", ")})`);
  if (requested && !servedTiers.includes(requested)) throw new MinerError("unknown_tier", `tier '${clip(requested)}' is not served (served: ${servedTiers.join(", ")})`);
  const names = requested ? [requested] : [...servedTiers];
  const withModel = names
    .map((n) => ({ name: n, tier: table.tiers[n]! }))
    .filter((c) => c.tier && c.tier.supporting_models.includes(model))
    .map((c) => {
      const legacy = requested === undefined && subnetValidator ? c.tier.legacy : undefined;
      return {
        ...c,
        served,
        maxChars: legacy?.max_context_length_in_chars ?? c.tier.max_context_length_in_chars,
        minTokens: c.tier.min_condensed_tokens,
        maxTokens: legacy?.max_condensed_tokens ?? c.tier.max_condensed_tokens,
      };
    });
  if (withModel.length === 0) throw new MinerError("unsupported_model", `target model '${clip(targetModel)}' is not supported by tier ${names.join("/")}`);
  const length = charLength(context);
  const best = withModel.filter((c) => length <= c.maxChars).sort((a, b) => a.maxChars - b.maxChars)[0];
  if (!best) throw new MinerError("context_too_long", `context of ${length} characters exceeds the tier limit of ${Math.max(...withModel.map((c) => c.maxChars))}`);
  return best;
}

/** Echoed client strings stay short (they end up in a response header). */
function clip(s: string): string {
  return s.length > 80 ? `${s.slice(0, 80)}...` : s;
}
