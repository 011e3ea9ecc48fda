// Reliability per scoring period, after SN19 Nineteen 6.x (sn19-mechanism.md §3 and §4 "running averages"):
// the period score punishes 429s and server errors in proportion to how much declared capacity went
// unused, and periods are combined by a decayed, volume-weighted average with a new-contender factor.

export interface PeriodCounts {
  /** Requests this validator could send this period (declared capacity, capped by its budget). */
  capacity: number;
  /** Requests answered successfully (each consumes one unit of capacity). */
  consumed: number;
  /** Every attempt, 429s and failures included. */
  total: number;
  /** Attempts answered 429 (the miner said it is busy). */
  n429: number;
  /** Everything else that failed: 5xx, timeouts, connection errors, refused answers. */
  n5xx: number;
}

export interface PeriodScoreConfig {
  /** Exponent on the server-error factor: 2 in [N6] (PR #80), 1 in [V4]. Default 2. */
  errorExponent: number;
  /** Decay per period back in time: weight c_i x decay^i, newest i = 0. Default 0.5. */
  decay: number;
  /** A contender needs more than this many scored periods to escape the new-contender factor. Default 8. */
  newContenderPeriods: number;
  /** Multiplier while it has not ([N6]: 0.25). Default 0.25. */
  newContenderFactor: number;
  /** Periods looked back at most (older ones weigh < 0.5^16 anyway). Default 16. */
  maxPeriods: number;
}

export const DEFAULT_PERIOD_SCORE_CONFIG: Readonly<PeriodScoreConfig> = Object.freeze({
  errorExponent: 2,
  decay: 0.5,
  newContenderPeriods: 8,
  newContenderFactor: 0.25,
  maxPeriods: 16,
});

/**
 * period = max(0, good (1 - f429 U) (1 - f5xx U)^e) with U = max(C - consumed, 0) / max(C, 1), the share of
 * capacity left unused; null when nothing was asked or nothing declared (the period is then ignored).
 */
export function periodScore(c: PeriodCounts, cfg: Pick<PeriodScoreConfig, "errorExponent"> = DEFAULT_PERIOD_SCORE_CONFIG): number | null {
  if (!(c.total > 0) || !(c.capacity > 0)) return null;
  const C = Math.max(c.capacity, 1);
  const U = Math.max(C - c.consumed, 0) / C;
  const f429 = c.n429 / c.total;
  const f5xx = c.n5xx / c.total;
  const good = (c.total - c.n429 - c.n5xx) / c.total;
  return Math.max(0, good * (1 - f429 * U) * Math.pow(1 - f5xx * U, cfg.errorExponent));
}

export interface PeriodHistoryEntry {
  /** null periods (nothing asked) are skipped and do not count as a period. */
  score: number | null;
  /** Requests consumed in that period: the volume weight. */
  consumed: number;
}

/**
 * P = sum ps_i c_i decay^i / sum c_i decay^i over non-null periods, newest first, times the new-contender
 * factor unless there are more than `newContenderPeriods` of them. 0 with no usable history.
 */
export function decayedPeriodAverage(newestFirst: readonly PeriodHistoryEntry[], cfg: PeriodScoreConfig = DEFAULT_PERIOD_SCORE_CONFIG): number {
  const scored = newestFirst.filter((p) => p.score !== null && Number.isFinite(p.score)).slice(0, cfg.maxPeriods);
  let num = 0;
  let den = 0;
  scored.forEach((p, i) => {
    const w = Math.max(0, p.consumed) * Math.pow(cfg.decay, i);
    num += (p.score as number) * w;
    den += w;
  });
  if (den === 0) return 0;
  const factor = scored.length > cfg.newContenderPeriods ? 1 : cfg.newContenderFactor;
  return (num / den) * factor;
}
