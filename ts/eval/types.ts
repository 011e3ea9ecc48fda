// What `condense eval` takes and gives: the grid, one record per (configuration, challenge), and the report.
import type { Readback } from "./readback.js";

/** One row of the grid: an algorithm at a ratio, the full cache, or the miner being scored (--against). */
export interface Config {
  /** "full", "ALGORITHM@RATIO" or "miner:LABEL". */
  name: string;
  algorithm: string;
  ratio: number;
  source: "local" | "miner";
}

export interface ChallengeRecord {
  config: string;
  algorithm: string;
  ratio: number;
  kind: string;
  /** The context length cap of the cell, characters (the tier's max_context_length_in_chars for this run). */
  length: number;
  sample: number;
  challengeId: string;
  /** The Challenge request's seed (u64, decimal) and salt: they replay the challenge exactly. */
  seed: string;
  salt: string;
  contextChars: number;
  contextSha256: string;
  /** The validator's outcome: ok, refused (verification or the worker refused the container), failed. */
  outcome: "ok" | "refused" | "failed" | "rate_limited";
  code: string | null;
  detail: string | null;
  keptTokens: number | null;
  originalTokens: number | null;
  answers: string[];
  /** Per question: the worker's verdict. */
  correct: boolean[];
  /** Per existence chunk (local rows only; a miner's come back inside the validator's score). */
  existenceCorrect: boolean[];
  chunksInContext: boolean[];
  /** The full cache's verdicts on the same questions (share of full counts where these are true). */
  fullCorrect: boolean[];
  /** The validator's per-challenge numbers (ts/validator/score scoreChallenge). */
  accuracy: number;
  compressionBonus: number;
  score: number;
  /** accuracy / the full cache's accuracy on this kind and length (the validator's ScoreRecord.shareOfFull). */
  validatorShareOfFull: number | null;
  readback: (Readback & { reply: string }) | null;
  seconds: { compress: number | null; evaluate: number | null };
}

export interface Summary {
  config: string;
  algorithm: string;
  ratio: number;
  source: "local" | "miner";
  /** Restricted to one kind and length in `cells`; null in the per-configuration rows. */
  kind: string | null;
  length: number | null;
  challenges: number;
  ok: number;
  refused: number;
  failed: number;
  /** Most frequent refusal or failure code. */
  topCode: string | null;
  questions: number;
  correct: number;
  /** Mean challenge accuracy (existence gate x share of questions right; 0 when refused). */
  accuracy: number;
  /** Mean challenge score s. */
  score: number;
  /** Questions the full cache answered, and how many of those this configuration answered too. */
  fullCorrect: number;
  correctWhereFull: number;
  shareOfFull: number | null;
  keptTokens: number | null;
  /** Mean kept / original tokens over answered challenges. */
  keptFraction: number | null;
  readback: { n: number; tokenRecall: number; longestRun: number; longestRunShare: number; contextTokens: number; capped: number } | null;
}

export interface EvalReport {
  eval: "condense";
  when: string;
  workerModel: string;
  targetModel: string;
  standIn: boolean;
  tier: string;
  grid: { algorithms: string[]; ratios: number[]; kinds: string[]; lengths: number[]; samples: number; questions: number };
  /** The challenge secret is sha256(seed); challenge seeds are the validator's HMACs of the challenge ids. */
  seed: string;
  /** The miner hotkey the challenges were made for (salts and seeds). */
  subjectHotkey: string;
  score: { useExistence: boolean; existenceGate: number; compressionBonus: string; accelerate: number; maxCondensedTokens: number; minCondensedTokens: number };
  /** The full cache's mean existence score and the rule that turned the existence check on or off. */
  fullExistence: number;
  fullAccuracy: Record<string, number>;
  readbackPrompt: string | null;
  against: { address: string; hotkey: string; uid: number | null } | null;
  rows: Summary[];
  cells: Summary[];
  challenges: ChallengeRecord[];
  seconds: number;
  plot: string | null;
}

export interface ProgressEvent {
  done: number;
  total: number;
  what: string;
}
