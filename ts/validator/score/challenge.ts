// Per-challenge quality (neural-condense-subnet spec §4.5 and §4.7): the existence gate times the judged
// accuracy, plus a compression bonus weighted by the tier's accelerate scalar, folded into an EMA.

export interface ChallengeScoreConfig {
  /** An existence score at or below this zeroes the challenge (§4.5 step 3). Default 0.1. */
  existenceGate: number;
  /**
   * Whether the existence check counts at all. Calibration turns it off for a target model whose FULL cache
   * fails the yes/no probes (SmolLM2-135M never answers "no"), where it would zero every miner alike.
   * Default true.
   */
  useExistence: boolean;
  /**
   * How the compression bonus c is computed. "max_tokens": c = 1 - kept / max_condensed_tokens (the research
   * tier, §4.7); "ratio": c = 1 - kept / original (the universal tier). Default "max_tokens".
   */
  compressionBonus: "max_tokens" | "ratio";
  /** EMA weight of the newest challenge score: score <- max(0, (1 - a) * score + a * s). Default 0.1. */
  emaAlpha: number;
}

export const DEFAULT_CHALLENGE_SCORE_CONFIG: Readonly<ChallengeScoreConfig> = Object.freeze({
  existenceGate: 0.1,
  useExistence: true,
  compressionBonus: "max_tokens",
  emaAlpha: 0.1,
});

const mean = (xs: readonly number[]) => (xs.length === 0 ? 0 : xs.reduce((a, b) => a + b, 0) / xs.length);
const clamp01 = (x: number) => (Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

/**
 * Existence check (§4.5 step 3): `positives[i]` says whether the model, given the miner's cache, correctly
 * said a chunk from the context is in it; `negatives[i]` whether it correctly said an unrelated chunk is not.
 * 0 unless at least one of each is right; otherwise the mean of all results.
 */
export function existenceScore(positives: readonly boolean[], negatives: readonly boolean[]): number {
  if (!positives.some(Boolean) || !negatives.some(Boolean)) return 0;
  return mean([...positives, ...negatives].map((b) => (b ? 1 : 0)));
}

export interface JudgedChallenge {
  positives: readonly boolean[];
  negatives: readonly boolean[];
  /** One entry per question: answered correctly (strict match or the judge's yes). */
  answers: readonly boolean[];
}

/** accuracy = existence x mean(correct answers), 0 when existence <= the gate (§4.5 steps 3 and 6). */
export function challengeAccuracy(c: JudgedChallenge, cfg: Pick<ChallengeScoreConfig, "existenceGate"> & Partial<Pick<ChallengeScoreConfig, "useExistence">> = DEFAULT_CHALLENGE_SCORE_CONFIG): number {
  if (cfg.useExistence === false) return mean(c.answers.map((b) => (b ? 1 : 0)));
  const existence = existenceScore(c.positives, c.negatives);
  if (existence <= cfg.existenceGate) return 0;
  return existence * mean(c.answers.map((b) => (b ? 1 : 0)));
}

export interface CompressionInput {
  keptTokens: number;
  originalTokens: number;
  /** The tier's max_condensed_tokens. */
  maxCondensedTokens: number;
}

/** The compression bonus c in [0, 1] (§4.7). */
export function compressionBonus(i: CompressionInput, mode: ChallengeScoreConfig["compressionBonus"] = "max_tokens"): number {
  const denom = mode === "ratio" ? i.originalTokens : i.maxCondensedTokens;
  if (!(denom > 0)) return 0;
  return clamp01(1 - i.keptTokens / denom);
}

/** s = (acc (1 - alpha) + c alpha) [acc > 0] with alpha the tier's accelerate_reward_scalar (§4.7). */
export function challengeScore(accuracy: number, bonus: number, accelerate: number): number {
  const acc = clamp01(accuracy);
  if (acc <= 0) return 0;
  const a = clamp01(accelerate);
  return acc * (1 - a) + clamp01(bonus) * a;
}

/** score <- max(0, (1 - a) old + a s); a refused or missing answer is s = 0 (§4.7, update_scores). */
export function emaUpdate(old: number, s: number, alpha: number = DEFAULT_CHALLENGE_SCORE_CONFIG.emaAlpha): number {
  const prev = Number.isFinite(old) ? old : 0;
  return Math.max(0, (1 - alpha) * prev + alpha * clamp01(s));
}

/** A miner's accuracy as a share of the full (uncompressed) cache's on the same challenge kind; null when full is 0. */
export function shareOfFull(accuracy: number, fullAccuracy: number | null | undefined): number | null {
  if (fullAccuracy === null || fullAccuracy === undefined || !(fullAccuracy > 0)) return null;
  return accuracy / fullAccuracy;
}

/** What is stored per scored challenge: the score beside the full cache's accuracy on the same kind. */
export interface ScoreRecord {
  challengeId: string;
  kind: string;
  accuracy: number;
  /** The full cache's accuracy on this challenge kind and size (calibration); null when unknown. */
  fullAccuracy: number | null;
  shareOfFull: number | null;
  compressionBonus: number;
  score: number;
}

export interface ScoreChallengeInput extends JudgedChallenge, CompressionInput {
  challengeId: string;
  kind: string;
  accelerate: number;
  fullAccuracy: number | null;
}

/** The whole per-challenge computation, from judged answers to the stored record. */
export function scoreChallenge(i: ScoreChallengeInput, cfg: ChallengeScoreConfig = DEFAULT_CHALLENGE_SCORE_CONFIG): ScoreRecord {
  const accuracy = challengeAccuracy(i, cfg);
  const bonus = compressionBonus(i, cfg.compressionBonus);
  return {
    challengeId: i.challengeId,
    kind: i.kind,
    accuracy,
    fullAccuracy: i.fullAccuracy,
    shareOfFull: shareOfFull(accuracy, i.fullAccuracy),
    compressionBonus: bonus,
    score: challengeScore(accuracy, bonus, i.accelerate),
  };
}
