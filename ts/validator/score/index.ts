// Scoring, pure: per-challenge quality (neural-condense-subnet §4.5/§4.7), per-period reliability and
// relative speed (SN19 §3/§4), and the weights (SN19 §5 with the subnet's top fraction and tier split).
export {
  DEFAULT_CHALLENGE_SCORE_CONFIG,
  existenceScore,
  challengeAccuracy,
  compressionBonus,
  challengeScore,
  emaUpdate,
  shareOfFull,
  scoreChallenge,
  type ChallengeScoreConfig,
  type JudgedChallenge,
  type CompressionInput,
  type ScoreRecord,
  type ScoreChallengeInput,
} from "./challenge.js";
export { DEFAULT_PERIOD_SCORE_CONFIG, periodScore, decayedPeriodAverage, type PeriodCounts, type PeriodScoreConfig, type PeriodHistoryEntry } from "./period.js";
export { DEFAULT_SPEED_CONFIG, speedMetric, speedBonuses, type SpeedConfig, type TimedResult } from "./speed.js";
export {
  DEFAULT_WEIGHTS_CONFIG,
  computeWeights,
  type ContenderScore,
  type TierWeighting,
  type WeightsConfig,
  type WeightsResult,
  type ContenderWeightDetail,
} from "./weights.js";
