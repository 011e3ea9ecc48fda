// Quality scoring of sampled organic results (the old subnet scored none). A verified organic container has no
// ground truth of its own, so a worker writes questions and answers about the client's context (Challenge kind
// organic_qa); the miner's container and the full cache of the same context answer them in ONE batched,
// judged Evaluate; the full cache's share is this sample's full accuracy, and the synthetic path's score
// functions turn the verdicts into the score. The ground truth stays in the validator's state.
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { Counter, type Registry } from "prom-client";
import { WorkerPoolCompressor, type PoolLike } from "../../miner/compressor.js";
import { ErrorCode } from "../../gen/condense/v1/worker_pb.js";
import { WorkerError } from "../../workers/index.js";
import { challengeSeed, requestChallenge, type Challenge } from "../challenges/index.js";
import { challengeItem, evaluateContainers } from "../evaluate/index.js";
import { scoreChallenge, type ChallengeScoreConfig } from "../score/index.js";
import { Limiter } from "../verify/limiter.js";
import type { ResultRecord } from "../state/index.js";

export const ORGANIC_QA_KIND = "organic_qa";

/** Why a sampled organic success was verified but not quality-scored (a bounded label set for the metric). */
export const SCORING_SKIPS = ["busy", "no_workers", "no_questions", "full_answered_none", "error"] as const;
export type ScoringSkip = (typeof SCORING_SKIPS)[number];

export interface OrganicScoringConfig {
  /** Scoring jobs running at once (--validator.organic.max_scoring). */
  maxInFlight: number;
  /** Jobs waiting for a slot (--validator.organic.scoring_queue); beyond it a sample is verified only. */
  maxQueued: number;
}

/** At most `maxInFlight` jobs run and `maxQueued` wait (the validator's Limiter); `offer` refuses the rest at once (the caller then records the sample as verified only). */
export class ScoringQueue {
  readonly #limiter: Limiter;
  readonly #pending = new Set<Promise<void>>();

  constructor(readonly cfg: OrganicScoringConfig) {
    this.#limiter = new Limiter(cfg.maxInFlight, cfg.maxQueued);
  }

  /** Starts or queues `job`; false (nothing started) when the bound is reached. */
  offer(job: () => Promise<void>): boolean {
    if (this.#limiter.running >= this.#limiter.concurrency && this.#limiter.queued >= this.cfg.maxQueued) return false;
    const p = this.#limiter.run(job);
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
    return true;
  }

  /** Resolves when every job offered so far has finished (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.#pending.size) await Promise.allSettled([...this.#pending]);
  }
}

export class OrganicScoringMetrics {
  readonly scored: Counter<"tier">;
  readonly skipped: Counter<"tier" | "reason">;
  readonly #tiers: ReadonlySet<string>;

  constructor(registry: Registry | undefined, tiers: readonly string[]) {
    const registers = registry ? [registry] : [];
    this.#tiers = new Set(tiers);
    this.scored = new Counter({ name: "condense_organic_scored_total", help: "sampled organic successes quality-scored (organic QA, judged)", labelNames: ["tier"], registers });
    this.skipped = new Counter({ name: "condense_organic_scoring_skipped_total", help: "sampled organic successes verified but not quality-scored, by reason (busy = over --validator.organic.max_scoring and its queue)", labelNames: ["tier", "reason"], registers });
    for (const t of this.#tiers) {
      this.scored.labels(t).inc(0);
      for (const r of SCORING_SKIPS) this.skipped.labels(t, r).inc(0);
    }
  }

  tier(t: string): string {
    return this.#tiers.has(t) ? t : "unknown";
  }
}

export interface OrganicScoreDeps {
  pool: PoolLike;
  secret: Buffer;
  /** tmpfs folder for the full cache. */
  dir: string;
  /** The validator's hotkey: the full cache is the validator's own container. */
  hotkey: string;
  questions: number;
  /** The generator model's spec; "" = the worker's own model. */
  generator: string;
  score: ChallengeScoreConfig;
  log: Logger;
}

export interface OrganicSample {
  id: string;
  hotkey: string;
  tier: string;
  /** The client's context, exactly as the miner compressed it. */
  context: string;
  /** The tier's target model (what containers name) and whose chat template formats the questions ("" = the worker's). */
  targetModel: string;
  templateModel: string;
  /** The verified container of the miner, on tmpfs (removed by the caller). */
  containerPath: string;
  keptTokens: number;
  originalTokens: number;
  accelerate: number;
  maxCondensedTokens: number;
  deadline: number;
  signal?: AbortSignal;
}

export type OrganicScoreOutcome =
  | { scored: true; challenge: Challenge; fullAccuracy: number; result: Omit<ResultRecord, "challengeId" | "seconds"> }
  | { scored: false; reason: ScoringSkip; detail: string; challenge: Challenge | null; fullAccuracy: number | null; result?: Omit<ResultRecord, "challengeId" | "seconds"> };

/** Writes QA about the sample's context, evaluates the miner's and the full cache together, scores the miner's. */
export async function scoreOrganicSample(d: OrganicScoreDeps, s: OrganicSample): Promise<OrganicScoreOutcome> {
  const chars = [...s.context].length;
  let ch: Challenge;
  try {
    ch = await requestChallenge(d.pool, {
      seed: challengeSeed(d.secret, s.hotkey, s.id),
      minChars: chars,
      maxChars: chars,
      kinds: [ORGANIC_QA_KIND],
      numQuestions: d.questions,
      targetModel: s.templateModel,
      salt: `${s.hotkey}:${s.id}`,
      passage: s.context,
      generator: d.generator,
      deadline: s.deadline,
      ...(s.signal ? { signal: s.signal } : {}),
    });
  } catch (e) {
    // The worker cannot write QA about this text (too short, generator output unparsable): not scorable.
    if (e instanceof WorkerError && e.code === ErrorCode.INVALID_ARGUMENT) return { scored: false, reason: "no_questions", detail: `organic QA not written: ${e.message}`, challenge: null, fullAccuracy: null };
    throw e;
  }
  const full = path.join(d.dir, `organic-full-${randomBytes(8).toString("hex")}.safetensors`);
  try {
    await new WorkerPoolCompressor(d.pool).compress(
      { context: s.context, targetModel: s.targetModel, algorithm: "full", ratio: 0, minTokens: 0, maxTokens: 0, outputPath: full, minerHotkey: d.hotkey },
      { deadline: s.deadline, ...(s.signal ? { signal: s.signal } : {}) },
    );
    const miner = { ...challengeItem(ch, `${s.id}:miner`, { path: s.containerPath }), answerCheck: "judge" as const };
    const fullItem = { ...challengeItem(ch, `${s.id}:full`, { path: full }), answerCheck: "judge" as const };
    const [ev, fev] = await evaluateContainers(d.pool, [miner, fullItem], { targetModel: s.targetModel, maxItemsPerRequest: 2, deadline: s.deadline, ...(s.signal ? { signal: s.signal } : {}) });
    if (!fev?.ok) return { scored: false, reason: "error", detail: `the full cache failed to evaluate: ${fev?.message ?? "no result"}`, challenge: ch, fullAccuracy: null };
    const fullAccuracy = fev.correct.filter(Boolean).length / Math.max(1, fev.correct.length);
    // The container's own failure in the worker: the miner's fault, as on the synthetic path.
    if (!ev?.ok) return { scored: true, challenge: ch, fullAccuracy, result: { outcome: "refused", refusalCode: "EVALUATE_REFUSED", detail: `organic, sampled: ${ev?.codeName}: ${ev?.message}`, score: 0 } };
    const decoded = { answers: ev.answers, verdicts: ev.correct };
    if (fullAccuracy === 0)
      return { scored: false, reason: "full_answered_none", detail: `organic sample not quality-scored: the full cache answered none of ${fev.correct.length} questions`, challenge: ch, fullAccuracy, result: { outcome: "ok", score: 0, scored: false, keptTokens: s.keptTokens, originalTokens: s.originalTokens, decoded } };
    const positives = ch.chunks.flatMap((x, i) => (x.inContext ? [ev.existenceCorrect[i] === true] : []));
    const negatives = ch.chunks.flatMap((x, i) => (x.inContext ? [] : [ev.existenceCorrect[i] === true]));
    const r = scoreChallenge(
      { challengeId: s.id, kind: ORGANIC_QA_KIND, accelerate: s.accelerate, fullAccuracy, positives, negatives, answers: ev.correct, keptTokens: s.keptTokens, originalTokens: s.originalTokens, maxCondensedTokens: s.maxCondensedTokens },
      d.score,
    );
    return { scored: true, challenge: ch, fullAccuracy, result: { outcome: "ok", accuracy: r.accuracy, score: r.score, scored: true, keptTokens: s.keptTokens, originalTokens: s.originalTokens, decoded } };
  } finally {
    await rm(full, { force: true });
  }
}
