// Relative speed, after SN19 Nineteen 6.x (sn19-mechanism.md §4 "[N6] relative speed"): each contender's
// 30th percentile of quality x work / time, ranked within its tier into a bonus from +max to -max.

export interface SpeedConfig {
  /** Percentile of q x work / seconds taken per contender (sorted ascending, index floor(p n)). Default 0.3. */
  percentile: number;
  /** Bonus of the fastest contender; the slowest gets minus this. Default 0.25. */
  maxBonus: number;
}

export const DEFAULT_SPEED_CONFIG: Readonly<SpeedConfig> = Object.freeze({ percentile: 0.3, maxBonus: 0.25 });

export interface TimedResult {
  /** Quality of this result in [0, 1] (its challenge score); bad answers add no speed. */
  quality: number;
  /** Work done: original (uncompressed) tokens of the context. */
  work: number;
  /** Seconds from sending the request to the container being downloaded. */
  seconds: number;
}

/** The contender's speed metric, or null with no results. */
export function speedMetric(results: readonly TimedResult[], cfg: Pick<SpeedConfig, "percentile"> = DEFAULT_SPEED_CONFIG): number | null {
  if (results.length === 0) return null;
  const xs = results.map((r) => (Math.max(0, r.quality) * Math.max(0, r.work)) / Math.max(r.seconds, 1e-3)).sort((a, b) => a - b);
  const i = Math.min(xs.length - 1, Math.floor(cfg.percentile * xs.length));
  return xs[i] as number;
}

/**
 * bonus = maxBonus (1 - 2 r / (N - 1)) with r the rank by metric, best = 0 (SN19: 0.5 (0.5 - r / (N - 1)));
 * equal metrics share the better rank; a missing metric ranks as 0; a lone contender gets 0.
 */
export function speedBonuses<K>(metrics: ReadonlyMap<K, number | null>, cfg: Pick<SpeedConfig, "maxBonus"> = DEFAULT_SPEED_CONFIG): Map<K, number> {
  const entries = [...metrics].map(([k, m]) => [k, m !== null && Number.isFinite(m) ? m : 0] as const);
  const n = entries.length;
  const out = new Map<K, number>();
  if (n <= 1) {
    for (const [k] of entries) out.set(k, 0);
    return out;
  }
  const sorted = entries.map(([, m]) => m).sort((a, b) => b - a);
  for (const [k, m] of entries) {
    const rank = sorted.indexOf(m);
    out.set(k, cfg.maxBonus * (1 - (2 * rank) / (n - 1)));
  }
  return out;
}
