// Reads what computeWeights needs from the database: for every contender of the latest closed period, its
// EMA quality, its decayed period average P, its capacity in that period, and its speed metric over its
// most recent successful results.
import { DEFAULT_PERIOD_SCORE_CONFIG, DEFAULT_SPEED_CONFIG, decayedPeriodAverage, speedMetric, type ContenderScore, type PeriodScoreConfig, type SpeedConfig, type TimedResult } from "../score/index.js";
import type { ValidatorState } from "./store.js";

export interface WeightInputsConfig {
  period: PeriodScoreConfig;
  speed: SpeedConfig;
  /** Successful results per contender the speed metric looks at, newest first. Default 50. */
  speedResults: number;
}

export const DEFAULT_WEIGHT_INPUTS_CONFIG: Readonly<WeightInputsConfig> = Object.freeze({
  period: DEFAULT_PERIOD_SCORE_CONFIG,
  speed: DEFAULT_SPEED_CONFIG,
  speedResults: 50,
});

/** The contender's latest successful results with timings, as speedMetric takes them. */
export function recentTimedResults(state: ValidatorState, hotkey: string, tier: string, limit: number): TimedResult[] {
  return (
    state.db
      .prepare(
        `SELECT score, original_tokens, seconds FROM results
         WHERE hotkey = ? AND tier = ? AND outcome = 'ok' AND seconds IS NOT NULL AND original_tokens IS NOT NULL
         ORDER BY recorded_at DESC, challenge_id DESC LIMIT ?`,
      )
      .all(hotkey, tier, limit) as { score: number; original_tokens: number; seconds: number }[]
  ).map((r) => ({ quality: r.score, work: r.original_tokens, seconds: r.seconds }));
}

/** computeWeights inputs for the contenders of the latest closed period (empty before one has closed). */
export function contenderScoresFromState(state: ValidatorState, cfg: WeightInputsConfig = DEFAULT_WEIGHT_INPUTS_CONFIG): ContenderScore[] {
  const last = state.db.prepare("SELECT MAX(id) AS id FROM periods WHERE closed_at IS NOT NULL").get() as { id: number | null };
  if (last.id === null) return [];
  const rows = state.db.prepare("SELECT hotkey, tier, uid, capacity FROM period_history WHERE period_id = ? ORDER BY tier, hotkey").all(last.id) as {
    hotkey: string;
    tier: string;
    uid: number;
    capacity: number;
  }[];
  const ema = new Map(state.scores().map((s) => [`${s.tier}\u0000${s.hotkey}`, s.ema]));
  return rows.map((r) => ({
    uid: r.uid,
    hotkey: r.hotkey,
    tier: r.tier,
    quality: ema.get(`${r.tier}\u0000${r.hotkey}`) ?? 0,
    reliability: decayedPeriodAverage(state.periodHistory(r.hotkey, r.tier, cfg.period.maxPeriods), cfg.period),
    capacity: r.capacity,
    speedMetric: speedMetric(recentTimedResults(state, r.hotkey, r.tier, cfg.speedResults), cfg.speed),
  }));
}
