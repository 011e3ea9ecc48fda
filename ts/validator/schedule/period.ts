// One scoring period, SN19-style: read the metagraph, ask every serving miner for its Metadata (capacity per
// tier), build contenders (miner x tier) with a drawn test share within this validator's budget, spread their
// synthetic queries over what is left of the period, run them with bounded concurrency, then close the
// period (period scores into history). Draws are seeded from the validator's secret and the period id, so a
// restarted validator plans the same queries, and queries already recorded are not sent again.
import { createHmac } from "node:crypto";
import type { Logger } from "pino";
import type { Chain, Metagraph } from "../../chain/types.js";
import type { AxonTarget } from "../../dendrite/dendrite.js";
import { parseMinerMetadata, type MinerMetadata, type TierTable } from "../../subnet/index.js";
import type { ContenderPlan, ValidatorState } from "../state/index.js";
import type { AddressPolicy } from "../verify/index.js";
import { Limiter } from "../verify/limiter.js";
import { checkAxon } from "./dial.js";
import { DEFAULT_SCHEDULE_CONFIG, drawTestShare, planContender, spreadTimes, type ScheduleConfig } from "./plan.js";
import { challengeId, type QueryContender } from "./query.js";
import { seededRng } from "./rng.js";

export interface PeriodDeps {
  state: ValidatorState;
  chain: Chain;
  netuid: number;
  hotkey: string;
  tiers: TierTable;
  periodMs: number;
  secret: Buffer;
  dialPolicy: AddressPolicy;
  /** The miner's Metadata dict, or null when it did not answer 200. */
  queryMetadata: (target: AxonTarget) => Promise<unknown>;
  runQuery: (c: QueryContender, index: number, at: number) => Promise<unknown>;
  concurrency: number;
  maxQueriesPerContender: number;
  schedule?: ScheduleConfig;
  log: Logger;
  now?: () => number;
  /** Resolves after `ms` or when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Called with each contender and why a miner is not one (offline, refused address, bad metadata). */
  onContenders?: (periodId: number, contenders: ReadonlyArray<ContenderPlan & { ip: string; port: number }>, skipped: ReadonlyArray<{ uid: number; hotkey: string; reason: string }>) => void;
}

export interface PeriodOutcome {
  periodId: number;
  contenders: number;
  queries: number;
  /** Queries recorded before (a restart): not sent again. */
  alreadyDone: number;
  failedToRun: number;
  closed: boolean;
  /**
   * Where the period's wall time went, ms: `plan` (metagraph, every miner's Metadata, contenders), `queries`
   * (first query sent to the last one finished, idle gaps of the spread included), `close` (period scores
   * into history). Absent for a period an earlier run had closed.
   */
  timings?: { plan_ms: number; queries_ms: number; close_ms: number };
}

const defaultSleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/** Validators the miner admits, by stake: the permit holders (and this validator). */
function validatorStake(mg: Metagraph, self: number): { stake: number; total: number } {
  let total = 0;
  mg.stakes.forEach((s, uid) => {
    if (mg.validatorPermits[uid] || uid === self) total += s;
  });
  return { stake: self >= 0 ? (mg.stakes[self] ?? 0) : 0, total };
}

/** The contenders of a period from the metagraph and the miners' Metadata answers. */
export async function buildContenders(d: PeriodDeps, mg: Metagraph, rng: () => number) {
  const self = mg.hotkeys.indexOf(d.hotkey);
  const { stake, total } = validatorStake(mg, self);
  const skipped: Array<{ uid: number; hotkey: string; reason: string }> = [];
  const candidates = mg.uids.filter((uid) => uid !== self && mg.axons[uid]?.isServing);
  const limiter = new Limiter(Math.max(1, d.concurrency * 4));
  const metas = await Promise.all(
    candidates.map((uid) =>
      limiter.run(async (): Promise<[number, MinerMetadata | null]> => {
        const axon = mg.axons[uid]!;
        const dial = checkAxon(axon, d.dialPolicy);
        if (!dial.ok) {
          skipped.push({ uid, hotkey: mg.hotkeys[uid]!, reason: dial.code });
          return [uid, null];
        }
        const raw = await d.queryMetadata({ ip: axon.ip, port: axon.port, hotkey: mg.hotkeys[uid]! });
        if (raw === null) {
          skipped.push({ uid, hotkey: mg.hotkeys[uid]!, reason: "METADATA_UNREACHABLE" });
          return [uid, null];
        }
        try {
          return [uid, parseMinerMetadata(raw)];
        } catch (e) {
          skipped.push({ uid, hotkey: mg.hotkeys[uid]!, reason: "METADATA_INVALID" });
          d.log.info({ uid, err: (e as Error).message }, "miner metadata refused");
          return [uid, null];
        }
      }),
    ),
  );
  const plans: Array<ContenderPlan & { ip: string; port: number }> = [];
  for (const [uid, meta] of metas.sort((a, b) => a[0] - b[0])) {
    if (!meta?.tiers) {
      if (meta) skipped.push({ uid, hotkey: mg.hotkeys[uid]!, reason: "NO_CAPACITY_DECLARED" });
      continue;
    }
    for (const [tier, cap] of Object.entries(meta.tiers).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const t = d.tiers.tiers[tier];
      if (!t || t.incentive_percentage <= 0) continue;
      const share = drawTestShare(rng, d.schedule ?? DEFAULT_SCHEDULE_CONFIG);
      const p = planContender({ declaredCapacity: cap.capacity, requestsPerEpoch: t.requests_per_epoch, stake, totalStake: total, reported: { budget: cap.budget, used: cap.used }, share }, d.schedule ?? DEFAULT_SCHEDULE_CONFIG);
      plans.push({ hotkey: mg.hotkeys[uid]!, tier, uid, declaredCapacity: cap.capacity, budget: p.budget, capacity: p.capacity, testShare: share, planned: Math.min(p.planned, d.maxQueriesPerContender), ip: mg.axons[uid]!.ip, port: mg.axons[uid]!.port });
    }
  }
  return { plans, skipped };
}

/** Runs period `periodId` to its end (or until `signal` aborts, leaving it open for a restart to finish). */
export async function runPeriod(d: PeriodDeps, periodId: number, signal: AbortSignal): Promise<PeriodOutcome> {
  const now = d.now ?? Date.now;
  const sleep = d.sleep ?? defaultSleep;
  const start = periodId * d.periodMs;
  const end = start + d.periodMs;
  if (d.state.openPeriod(periodId, start, end).closedAt !== null) {
    // Closed by an earlier run (a restart inside the same window): nothing left to do until the next period.
    await sleep(end - now(), signal);
    return { periodId, contenders: 0, queries: 0, alreadyDone: 0, failedToRun: 0, closed: false };
  }
  const rng = seededRng(createHmac("sha256", d.secret).update(`period:${periodId}`).digest("hex"));
  const tPlan = performance.now();
  const mg = await d.chain.metagraph(d.netuid);
  const built = await buildContenders(d, mg, rng);
  const skipped = built.skipped;
  // A restart keeps the period's first plan per contender: a live miner's reported use now includes this
  // validator's own queries of the period, so planning again would count them twice and drop planned queries.
  const prior = new Map(d.state.contenders(periodId).map((c) => [`${c.hotkey}\n${c.tier}`, c]));
  const plans = built.plans.map((p) => {
    const o = prior.get(`${p.hotkey}\n${p.tier}`);
    return o ? { ...p, uid: o.uid, declaredCapacity: o.declaredCapacity, budget: o.budget, capacity: o.capacity, testShare: o.testShare, planned: o.planned } : p;
  });
  d.state.upsertContenders(periodId, plans.map(({ ip: _ip, port: _port, ...p }) => p));
  d.onContenders?.(periodId, plans, skipped);
  for (const s of skipped) d.log.info({ periodId, ...s }, "not a contender this period");

  // What a previous run of this period already recorded is not sent again.
  const unfinished = new Set(d.state.unfinishedChallenges(periodId));
  const todo: Array<{ c: QueryContender; index: number }> = [];
  let alreadyDone = 0;
  for (const p of plans)
    for (let index = 0; index < p.planned; index++) {
      const c: QueryContender = { periodId, uid: p.uid, hotkey: p.hotkey, tier: p.tier, ip: p.ip, port: p.port };
      const id = challengeId(c, index);
      if (d.state.challenge(id) && !unfinished.has(id)) alreadyDone++;
      else todo.push({ c, index });
    }
  // Spread what is left over what is left of the period; interleave contenders by drawn times.
  const from = Math.max(now(), start);
  const times = spreadTimes(todo.length, from, Math.max(0, end - from), rng);
  const order = todo.map((q) => ({ ...q, key: rng(), at: 0 })).sort((a, b) => a.key - b.key);
  order.forEach((q, i) => (q.at = times[i]!));
  d.log.info({ periodId, contenders: plans.length, queries: order.length, alreadyDone, endsInS: Math.round((end - now()) / 1000) }, "period planned");

  const tQueries = performance.now();
  const timings = { plan_ms: tQueries - tPlan, queries_ms: 0, close_ms: 0 };
  const limiter = new Limiter(d.concurrency);
  let failedToRun = 0;
  const running: Promise<void>[] = [];
  for (const q of order) {
    await sleep(q.at - now(), signal);
    if (signal.aborted) break;
    running.push(
      limiter.run(async () => {
        try {
          await d.runQuery(q.c, q.index, q.at);
        } catch (e) {
          // Our own failure (worker down, state error), not the miner's: nothing is recorded, so a restart retries it.
          failedToRun++;
          d.log.warn({ periodId, uid: q.c.uid, tier: q.c.tier, index: q.index, err: (e as Error).message }, "query could not run");
        }
      }),
    );
  }
  await Promise.all(running);
  timings.queries_ms = performance.now() - tQueries;
  if (signal.aborted) return { periodId, contenders: plans.length, queries: order.length, alreadyDone, failedToRun, closed: false, timings };
  await sleep(end - now(), signal);
  if (signal.aborted) return { periodId, contenders: plans.length, queries: order.length, alreadyDone, failedToRun, closed: false, timings };
  const tClose = performance.now();
  const closed = d.state.closePeriod(periodId);
  timings.close_ms = performance.now() - tClose;
  d.log.info({ periodId, closed, counts: d.state.resultCounts(periodId) }, "period closed");
  return { periodId, contenders: plans.length, queries: order.length, alreadyDone, failedToRun, closed, timings };
}
