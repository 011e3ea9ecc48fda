// From per-contender scores to one weight per uid: effective value per contender (quality x speed x
// reliability x capacity, SN19 §5), the top fraction of each tier (subnet §4.7), normalisation inside the
// tier, the tier incentive split, and a final normalisation over all uids.
import { DEFAULT_SPEED_CONFIG, speedBonuses, type SpeedConfig } from "./speed.js";

export interface ContenderScore {
  uid: number;
  hotkey: string;
  tier: string;
  /** EMA of challenge scores in [0, 1]. */
  quality: number;
  /** Decayed period average P (decayedPeriodAverage); 0 when no period has closed yet. */
  reliability: number;
  /** Capacity this validator tests the contender at (requests per period). */
  capacity: number;
  /** speedMetric of its recent results; null when it has none. */
  speedMetric: number | null;
}

export interface TierWeighting {
  /** The tier's incentive_percentage; tiers at 0 get nothing. */
  incentive: number;
}

export interface WeightsConfig {
  /** Share of each tier's contenders (by value, at least one) that receives emission. Default 0.3. */
  topFraction: number;
  /** Exponent on capacity in the value: 1 scales weight with capacity (SN19), 0 ignores it. Default 1. */
  capacityExponent: number;
  /** Exponent applied to normalised tier shares before renormalising (SN19 [N6]: 4; the subnet: 1). Default 1. */
  shareExponent: number;
  speed: SpeedConfig;
}

export const DEFAULT_WEIGHTS_CONFIG: Readonly<WeightsConfig> = Object.freeze({
  topFraction: 0.3,
  capacityExponent: 1,
  shareExponent: 1,
  speed: DEFAULT_SPEED_CONFIG,
});

export interface ContenderWeightDetail {
  uid: number;
  hotkey: string;
  tier: string;
  speedBonus: number;
  /** quality x (1 + speedBonus) */
  combined: number;
  /** combined x reliability x capacity^capacityExponent */
  value: number;
  inTop: boolean;
  /** Share of its tier after the top cut and normalisation. */
  tierShare: number;
}

export interface WeightsResult {
  /** uid -> weight, summing to 1 (empty when nobody earned anything). */
  weights: Map<number, number>;
  contenders: ContenderWeightDetail[];
}

const finitePos = (x: number) => (Number.isFinite(x) && x > 0 ? x : 0);

export function computeWeights(
  contenders: readonly ContenderScore[],
  tiers: Readonly<Record<string, TierWeighting>>,
  cfg: WeightsConfig = DEFAULT_WEIGHTS_CONFIG,
): WeightsResult {
  const byTier = new Map<string, ContenderScore[]>();
  for (const c of contenders) {
    const list = byTier.get(c.tier) ?? [];
    list.push(c);
    byTier.set(c.tier, list);
  }
  const details: ContenderWeightDetail[] = [];
  const total = new Map<number, number>();
  for (const [tier, list] of [...byTier].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const incentive = finitePos(tiers[tier]?.incentive ?? 0);
    const bonus = speedBonuses(new Map(list.map((c, i) => [i, c.speedMetric])), cfg.speed);
    const rows = list.map((c, i): ContenderWeightDetail => {
      const speedBonus = bonus.get(i) ?? 0;
      const combined = finitePos(c.quality) * (1 + speedBonus);
      const value = combined * finitePos(c.reliability) * Math.pow(finitePos(c.capacity), cfg.capacityExponent);
      return { uid: c.uid, hotkey: c.hotkey, tier, speedBonus, combined, value: finitePos(value), inTop: false, tierShare: 0 };
    });
    // top max(1, floor(n f)) by value; ties broken by uid so every validator cuts the same way
    const keep = Math.max(1, Math.floor(rows.length * cfg.topFraction));
    const order = [...rows].sort((a, b) => b.value - a.value || a.uid - b.uid);
    order.slice(0, keep).forEach((r) => (r.inTop = r.value > 0));
    const powered = rows.map((r) => (r.inTop ? Math.pow(r.value, cfg.shareExponent) : 0));
    const sum = powered.reduce((a, b) => a + b, 0);
    rows.forEach((r, i) => {
      r.tierShare = sum > 0 ? (powered[i] as number) / sum : 0;
      if (r.tierShare > 0 && incentive > 0) total.set(r.uid, (total.get(r.uid) ?? 0) + incentive * r.tierShare);
    });
    details.push(...rows);
  }
  const sum = [...total.values()].reduce((a, b) => a + b, 0);
  const weights = new Map<number, number>();
  if (sum > 0) for (const [uid, w] of [...total].sort(([a], [b]) => a - b)) weights.set(uid, w / sum);
  return { weights, contenders: details };
}
