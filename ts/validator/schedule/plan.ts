// The pure part of the SN19-style cycle (sn19-mechanism.md §2): draw the share of each contender's
// capacity to test this period, size its synthetic requests without ever passing this validator's
// stake-based budget, and spread the requests over the period.
import { validatorBudget } from "../../subnet/budget.js";
import type { Rng } from "./rng.js";

/** One outcome of the test-share draw: `share` with overall probability `p`. */
export interface ShareOutcome {
  share: number;
  p: number;
}

export interface ScheduleConfig {
  /** Distribution of the share m of capacity tested per contender per period ([N6]: mean ~0.067). */
  testShares: readonly ShareOutcome[];
  /** Multiplies every drawn share ([N6] CAPACITY_TO_SCORE_MULTIPLIER: 1 on mainnet, 0.1 on testnet). Default 1. */
  shareMultiplier: number;
  /** Requests sent to a contender with capacity left, however small its share. Default 1. */
  minRequests: number;
  /** Minimum budget of any validator (the subnet's floor). Default 10. */
  budgetFloor: number;
}

export const DEFAULT_TEST_SHARES: readonly ShareOutcome[] = Object.freeze([
  { share: 0.04, p: 0.5 },
  { share: 0.08, p: 0.4 },
  { share: 0.12, p: 0.095 },
  { share: 0.8, p: 0.005 },
]);

export const DEFAULT_SCHEDULE_CONFIG: Readonly<ScheduleConfig> = Object.freeze({
  testShares: DEFAULT_TEST_SHARES,
  shareMultiplier: 1,
  minRequests: 1,
  budgetFloor: 10,
});

/** Draws m from the distribution (probabilities are normalised), times the multiplier. */
export function drawTestShare(rng: Rng, cfg: Pick<ScheduleConfig, "testShares" | "shareMultiplier"> = DEFAULT_SCHEDULE_CONFIG): number {
  const total = cfg.testShares.reduce((a, o) => a + Math.max(0, o.p), 0);
  if (total <= 0 || cfg.testShares.length === 0) return 0;
  let u = rng() * total;
  for (const o of cfg.testShares) {
    u -= Math.max(0, o.p);
    if (u < 0) return o.share * cfg.shareMultiplier;
  }
  return cfg.testShares[cfg.testShares.length - 1]!.share * cfg.shareMultiplier;
}

/** Expected value of the test share (for docs and sanity checks). */
export function expectedTestShare(cfg: Pick<ScheduleConfig, "testShares" | "shareMultiplier"> = DEFAULT_SCHEDULE_CONFIG): number {
  const total = cfg.testShares.reduce((a, o) => a + Math.max(0, o.p), 0);
  return total > 0 ? (cfg.testShares.reduce((a, o) => a + o.share * Math.max(0, o.p), 0) / total) * cfg.shareMultiplier : 0;
}

export interface PlanInput {
  /** Requests per period the miner declares for this tier (all validators together). */
  declaredCapacity: number;
  /** The tier's requests_per_epoch (RPE). */
  requestsPerEpoch: number;
  /** This validator's stake and the total stake of the validators the miner admits. */
  stake: number;
  totalStake: number;
  /** What the miner's Metadata said of this validator's budget and its use this period, when it said. */
  reported?: { budget: number; used: number };
  /** The drawn test share m. */
  share: number;
}

export interface ContenderPlanned {
  /** max(int(RPE S_v / sum S), floor) capped by the declared capacity. */
  budget: number;
  /** Requests this validator may still send this period: the budget, less what the miner reports used. */
  capacity: number;
  /** Synthetic requests to send this period. */
  planned: number;
}

export function planContender(i: PlanInput, cfg: Pick<ScheduleConfig, "minRequests" | "budgetFloor"> = DEFAULT_SCHEDULE_CONFIG): ContenderPlanned {
  const declared = Math.max(0, Math.floor(i.declaredCapacity));
  const budget = validatorBudget(i.stake, i.totalStake, { requestsPerEpoch: i.requestsPerEpoch, capacity: declared, floor: cfg.budgetFloor });
  let capacity = budget;
  if (i.reported) capacity = Math.max(0, Math.min(capacity, Math.floor(i.reported.budget)) - Math.max(0, Math.floor(i.reported.used)));
  if (capacity === 0) return { budget, capacity, planned: 0 };
  const wanted = Math.max(cfg.minRequests, Math.floor(budget * Math.max(0, i.share)));
  return { budget, capacity, planned: Math.min(capacity, wanted) };
}

/**
 * n times spread over [start, start + periodMs): interval T / (n + 1), the first at U(0, 1) x interval,
 * then one every interval (SN19 [N6] §2). Integer epoch ms, ascending.
 */
export function spreadTimes(n: number, start: number, periodMs: number, rng: Rng): number[] {
  if (n <= 0) return [];
  const interval = periodMs / (n + 1);
  const first = start + rng() * interval;
  return Array.from({ length: n }, (_, k) => Math.floor(first + k * interval));
}

export interface ScheduledQuery<K> {
  at: number;
  contender: K;
  /** 0-based index of this query among the contender's queries this period. */
  index: number;
}

/** Every contender's queries spread over the period, merged into one ascending timetable. */
export function scheduleQueries<K>(plans: ReadonlyArray<{ contender: K; planned: number }>, start: number, periodMs: number, rng: Rng): ScheduledQuery<K>[] {
  const out: ScheduledQuery<K>[] = [];
  for (const p of plans) spreadTimes(p.planned, start, periodMs, rng).forEach((at, index) => out.push({ at, contender: p.contender, index }));
  return out.sort((a, b) => a.at - b.at || a.index - b.index);
}

/** The scoring period containing `nowMs`: id floor(now / T), so a restarted validator lands in the same one. */
export function periodAt(nowMs: number, periodMs: number): { id: number; start: number; end: number } {
  const id = Math.floor(nowMs / periodMs);
  return { id, start: id * periodMs, end: (id + 1) * periodMs };
}
