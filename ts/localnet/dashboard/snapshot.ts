// What the dashboard shows, read from the validator's state (a read-only connection) and the chain: the
// leaderboard rows (the terminal's, one home for those numbers), the tiers of the latest period, the weights
// of every period (weights_history: the validator logs each computation and submission), the recent
// challenges with their expected answers and verdicts, and the recent refusals with their reasons.
// Every list is bounded: the database grows with every period, the page must not.
import type { DevChain } from "../../chain/devchain.js";
import type { ValidatorState } from "../../validator/state/index.js";
import { REFUSAL_REASONS } from "../../validator/verify/index.js";
import { leaderboard, type BoardRow } from "../leaderboard.js";

export interface DashboardMiner {
  uid: number;
  hotkey: string;
  name: string;
  algorithm: string;
}

export interface DashboardSource {
  /** A read-only handle on the validator's database. */
  state: ValidatorState;
  chain: DevChain;
  netuid: number;
  validatorUid: number;
  miners: readonly DashboardMiner[];
  /** Shown in the page title (e.g. the model; "tiny model: scores are meaningless"). */
  note?: string;
}

export interface DashboardLimits {
  /** Weight records (periods) kept in the chart. */
  weights: number;
  challenges: number;
  refusals: number;
  /** Characters of any one string taken from the database (detail, answers). */
  chars: number;
}
export const DEFAULT_DASHBOARD_LIMITS: Readonly<DashboardLimits> = Object.freeze({ weights: 200, challenges: 40, refusals: 40, chars: 300 });

export interface DashboardTier {
  tier: string;
  contenders: number;
  declaredCapacity: number;
  capacity: number;
  planned: number;
}

export interface WeightsPoint {
  periodId: number | null;
  block: number | null;
  at: number;
  status: "computed" | "submitted" | "failed";
  detail: string | null;
  /** (uid, share of 1) as submitted; empty when nothing was earned. */
  weights: Array<[number, number]>;
}

export interface DashboardChallenge {
  id: string;
  periodId: number;
  uid: number;
  miner: string;
  tier: string;
  origin: string;
  kind: string;
  scheduledAt: number;
  /** The accepted answers of each question (ground truth, shown only once the challenge has its result). */
  expected: string[][];
  /** What the decoder answered from the miner's container, per question, with the verdicts; null when not evaluated. */
  decoded: { answers: string[]; verdicts: boolean[] } | null;
  outcome: string;
  refusalCode: string | null;
  detail: string | null;
  accuracy: number | null;
  fullAccuracy: number | null;
  score: number;
  keptTokens: number | null;
  originalTokens: number | null;
  seconds: number | null;
}

export interface DashboardRefusal {
  challengeId: string;
  periodId: number;
  uid: number;
  miner: string;
  outcome: string;
  code: string | null;
  /** What the code means (REFUSAL_REASONS), null for a code that is not one. */
  reason: string | null;
  detail: string | null;
  at: number;
}

export interface DashboardSnapshot {
  at: number;
  note: string | null;
  netuid: number;
  validatorUid: number;
  latestPeriod: { id: number; startedAt: number; endsAt: number; closedAt: number | null } | null;
  periodsClosed: number;
  board: Array<BoardRow & { hotkey: string }>;
  tiers: DashboardTier[];
  weights: WeightsPoint[];
  challenges: DashboardChallenge[];
  refusals: DashboardRefusal[];
  /** Refusals per code over the whole run, per miner uid. */
  refusalCounts: Array<{ uid: number; miner: string; code: string; n: number }>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Row = Record<string, any>;

const clip = (s: unknown, n: number): string | null => (s == null ? null : String(s).length > n ? `${String(s).slice(0, n)}...` : String(s));

function parseJson(s: unknown): unknown {
  try {
    return JSON.parse(String(s));
  } catch {
    return null;
  }
}

/** The decoder's answers and verdicts as stored in results.answers_json; anything malformed is null. */
function decodedAnswers(v: unknown, chars: number): DashboardChallenge["decoded"] {
  const d = v as { answers?: unknown; verdicts?: unknown } | null;
  if (!d || !Array.isArray(d.answers) || !Array.isArray(d.verdicts)) return null;
  return { answers: d.answers.map((a) => clip(String(a), chars) ?? ""), verdicts: d.verdicts.map((x) => x === true) };
}

/** Accepted answers per question from a challenge's ground truth ({answers: string[][]}); anything else is []. */
function expectedAnswers(groundTruth: unknown, chars: number): string[][] {
  const a = (groundTruth as { answers?: unknown } | null)?.answers;
  if (!Array.isArray(a)) return [];
  return a.slice(0, 16).map((q) => (Array.isArray(q) ? q.slice(0, 8).map((x) => clip(x, chars) ?? "") : []));
}

function shares(uids: unknown, weights: unknown): Array<[number, number]> {
  if (!Array.isArray(uids) || !Array.isArray(weights) || uids.length !== weights.length) return [];
  const w = weights.map(Number);
  const sum = w.reduce((a, b) => a + (Number.isFinite(b) && b > 0 ? b : 0), 0);
  return uids.map((u, i) => [Number(u), sum > 0 && Number.isFinite(w[i]) && w[i]! > 0 ? w[i]! / sum : 0] as [number, number]);
}

export function dashboardSnapshot(src: DashboardSource, limits: DashboardLimits = DEFAULT_DASHBOARD_LIMITS, now: () => number = Date.now): DashboardSnapshot {
  // One read transaction: every section from the same moment of the database while the validator writes on.
  return src.state.db.transaction(() => readSnapshot(src, limits, now))();
}

function readSnapshot(src: DashboardSource, limits: DashboardLimits, now: () => number): DashboardSnapshot {
  const db = src.state.db;
  const name = new Map(src.miners.map((m) => [m.hotkey, m.name]));
  const nameOf = (hotkey: string, uid: number) => name.get(hotkey) ?? `uid ${uid}`;
  const board = leaderboard({ chain: src.chain, netuid: src.netuid, validatorUid: src.validatorUid, state: src.state, miners: src.miners });
  const hotkey = new Map(src.miners.map((m) => [m.uid, m.hotkey]));

  const lp = db.prepare("SELECT id, started_at, ends_at, closed_at FROM periods ORDER BY id DESC LIMIT 1").get() as Row | undefined;
  const latestPeriod = lp ? { id: lp.id as number, startedAt: lp.started_at as number, endsAt: lp.ends_at as number, closedAt: (lp.closed_at as number | null) ?? null } : null;
  const periodsClosed = (db.prepare("SELECT COUNT(*) AS n FROM periods WHERE closed_at IS NOT NULL").get() as { n: number }).n;

  const tiers = latestPeriod
    ? (db
        .prepare("SELECT tier, COUNT(*) AS contenders, SUM(declared_capacity) AS declared, SUM(capacity) AS capacity, SUM(planned) AS planned FROM contenders WHERE period_id = ? GROUP BY tier ORDER BY tier")
        .all(latestPeriod.id) as Row[]).map((r) => ({ tier: String(r.tier), contenders: r.contenders as number, declaredCapacity: r.declared as number, capacity: r.capacity as number, planned: r.planned as number }))
    : [];

  // Newest first from the database, oldest first for the chart.
  const weights = (db.prepare("SELECT computed_at, period_id, block, status, uids_json, weights_json, detail FROM weights_history ORDER BY id DESC LIMIT ?").all(limits.weights) as Row[])
    .reverse()
    .map((r): WeightsPoint => ({ periodId: r.period_id ?? null, block: r.block ?? null, at: r.computed_at, status: r.status, detail: clip(r.detail, limits.chars), weights: shares(parseJson(r.uids_json), parseJson(r.weights_json)) }));

  // Only challenges that have their result: an open one's answers would help whoever reads this page answer it.
  const challenges = (
    db
      .prepare(
        `SELECT c.id, c.period_id, c.uid, c.hotkey, c.tier, c.origin, c.kind, c.scheduled_at, c.ground_truth_json, r.outcome, r.refusal_code, r.detail, r.accuracy, r.full_accuracy, r.score, r.kept_tokens, r.original_tokens, r.seconds, r.answers_json
         FROM results r JOIN challenges c ON c.id = r.challenge_id ORDER BY r.recorded_at DESC, c.id LIMIT ?`,
      )
      .all(limits.challenges) as Row[]
  ).map(
    (r): DashboardChallenge => ({
      id: r.id,
      periodId: r.period_id,
      uid: r.uid,
      miner: nameOf(r.hotkey, r.uid),
      tier: r.tier,
      origin: r.origin,
      kind: clip(r.kind, limits.chars) ?? "",
      scheduledAt: r.scheduled_at,
      expected: expectedAnswers(parseJson(r.ground_truth_json), limits.chars),
      decoded: decodedAnswers(parseJson(r.answers_json), limits.chars),
      outcome: r.outcome,
      refusalCode: clip(r.refusal_code, limits.chars),
      detail: clip(r.detail, limits.chars),
      accuracy: r.accuracy,
      fullAccuracy: r.full_accuracy,
      score: r.score,
      keptTokens: r.kept_tokens,
      originalTokens: r.original_tokens,
      seconds: r.seconds,
    }),
  );

  const reasons = REFUSAL_REASONS as Record<string, string>;
  const refusals = (
    db
      .prepare("SELECT r.challenge_id, r.period_id, r.hotkey, c.uid, r.outcome, r.refusal_code, r.detail, r.recorded_at FROM results r JOIN challenges c ON c.id = r.challenge_id WHERE r.outcome <> 'ok' ORDER BY r.recorded_at DESC, r.challenge_id LIMIT ?")
      .all(limits.refusals) as Row[]
  ).map(
    (r): DashboardRefusal => ({
      challengeId: r.challenge_id,
      periodId: r.period_id,
      uid: r.uid,
      miner: nameOf(r.hotkey, r.uid),
      outcome: r.outcome,
      code: clip(r.refusal_code, limits.chars),
      reason: r.refusal_code != null && Object.hasOwn(reasons, r.refusal_code) ? reasons[r.refusal_code]! : null,
      detail: clip(r.detail, limits.chars),
      at: r.recorded_at,
    }),
  );
  const refusalCounts = (
    db.prepare("SELECT r.hotkey, MIN(c.uid) AS uid, r.refusal_code AS code, COUNT(*) AS n FROM results r JOIN challenges c ON c.id = r.challenge_id WHERE r.refusal_code IS NOT NULL GROUP BY r.hotkey, r.refusal_code ORDER BY n DESC LIMIT ?").all(limits.refusals) as Row[]
  ).map((r) => ({ uid: r.uid as number, miner: nameOf(r.hotkey, r.uid), code: clip(r.code, limits.chars) ?? "", n: r.n as number }));

  return {
    at: now(),
    note: src.note ?? null,
    netuid: src.netuid,
    validatorUid: src.validatorUid,
    latestPeriod,
    periodsClosed,
    board: board.map((b) => ({ ...b, hotkey: hotkey.get(b.uid) ?? "" })),
    tiers,
    weights,
    challenges,
    refusals,
    refusalCounts,
  };
}
