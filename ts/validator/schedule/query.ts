// One synthetic query, end to end: make the contender's own challenge (a worker, seeded from the validator's
// secret, logged before anything is sent), send only the context to the miner, verify what comes back (URL
// policy, capped download, container header and binding), evaluate it in a batch with other miners'
// containers, score it, and record the result. Every step's failure becomes one stable outcome code; the
// result is written once per challenge id, so a restart that runs a query again counts it once.
import { createHash } from "node:crypto";
import { rm } from "node:fs/promises";
import type { Logger } from "pino";
import type { Dispatcher } from "undici";
import { TextCompressProtocol, type TextCompressValues } from "../../bittensor/protocols.js";
import { contextSha256 as contextSha256Of } from "../../container/hash.js";
import type { ModelShape } from "../../container/types.js";
import type { Dendrite } from "../../dendrite/dendrite.js";
import type { TierConfig } from "../../subnet/index.js";
import { challengeSeed, minerView, type Challenge, type ChallengeParams } from "../challenges/index.js";
import { challengeItem, type EvaluateItemInput, type ItemResult } from "../evaluate/index.js";
import { DEFAULT_CHALLENGE_SCORE_CONFIG, scoreChallenge, type ChallengeScoreConfig } from "../score/index.js";
import type { ResultRecord, ValidatorState } from "../state/index.js";
import { checkContainer, downloadToFile, isVerifyError, maxContainerBytes, type RefusalCode, type UrlPolicy } from "../verify/index.js";
import { DEFAULT_ALLOWED_DTYPES } from "../verify/container.js";
import { StageClock } from "./timings.js";

export interface QueryContender {
  periodId: number;
  uid: number;
  hotkey: string;
  tier: string;
  ip: string;
  port: number;
}

export interface QueryDeps {
  state: ValidatorState;
  dendrite: Dendrite;
  tiers: Readonly<Record<string, TierConfig>>;
  /** The validator's challenge secret: seeds are HMACs of challenge ids, so miners cannot predict them. */
  secret: Buffer;
  challenge: (p: ChallengeParams) => Promise<Challenge>;
  /** Batched Evaluate (a Batcher in front of evaluateContainers); one result per item. */
  evaluate: (item: EvaluateItemInput) => Promise<ItemResult>;
  /** The worker model's shape: what containers must match. */
  model: ModelShape;
  download: { dispatcher: Dispatcher; dir: string; policy: UrlPolicy };
  /** Time allowed for a container download (default: the tier's timeout). */
  downloadTimeoutMs?: number;
  /** Task kinds to draw from (calibrated) and the full cache's accuracy per kind. */
  kinds: readonly string[];
  fullAccuracy: (kind: string) => number | null;
  questions: number;
  /** The tier's target model: what miners are asked for and containers must name. */
  targetModel: (tier: string) => string;
  /** Whose chat template challenges are formatted with: the target, or "" when the worker model stands in for it. */
  templateModel: (tier: string) => string;
  score?: ChallengeScoreConfig;
  log: Logger;
  onResult?: (c: QueryContender, r: ResultRecord, extra: { kind: string; answers?: string[]; verdicts?: boolean[] }) => void;
}

/** Stable id of the contender's index-th query in a period: the same query after a restart has the same id. */
export function challengeId(c: Pick<QueryContender, "periodId" | "hotkey" | "tier">, index: number): string {
  return createHash("sha256").update(`${c.periodId}\n${c.hotkey}\n${c.tier}\n${index}`).digest("hex").slice(0, 32);
}

/** Params for a contender's query: the context length is drawn within the tier's character bounds. */
export function challengeParams(d: Pick<QueryDeps, "secret" | "kinds" | "questions" | "templateModel" | "tiers">, c: QueryContender, id: string): ChallengeParams {
  const tier = d.tiers[c.tier]!;
  return {
    seed: challengeSeed(d.secret, c.hotkey, id),
    ...challengeBounds(tier),
    kinds: [...d.kinds],
    numQuestions: d.questions,
    numPositiveChunks: 2,
    numNegativeChunks: 2,
    targetModel: d.templateModel(c.tier),
    // The contender's hotkey in the salt: a container made for one miner's challenge is worthless for another's.
    salt: `${c.hotkey}:${id}`,
  };
}

/** Context length bounds of a tier's challenges, in characters (the subnet drew from about half the cap up). */
export function challengeBounds(t: { max_context_length_in_chars: number }): { minChars: number; maxChars: number } {
  return { minChars: Math.min(t.max_context_length_in_chars, Math.max(1000, Math.floor(t.max_context_length_in_chars / 2))), maxChars: t.max_context_length_in_chars };
}

export async function runQuery(d: QueryDeps, c: QueryContender, index: number, scheduledAt: number): Promise<ResultRecord> {
  const id = challengeId(c, index);
  const params = challengeParams(d, c, id);
  const clock = new StageClock();
  const ch = await d.challenge(params);
  const kind = ch.questions[0]?.kind ?? "unknown";
  const context = ch.formattedContext;
  const contextSha256 = contextSha256Of(context);
  d.state.logChallenge({
    id,
    periodId: c.periodId,
    hotkey: c.hotkey,
    tier: c.tier,
    uid: c.uid,
    origin: "synthetic",
    kind,
    seed: params.seed.toString(),
    params: { ...params, seed: params.seed.toString() },
    groundTruth: { answers: ch.questions.map((q) => q.answers), chunks: ch.chunks.map((x) => ({ text: x.text, in_context: x.inContext })) },
    contextSha256,
    fullAccuracy: d.fullAccuracy(kind),
    scheduledAt,
  });
  clock.mark("challenge");
  const record = await queryMiner(d, c, id, ch, contextSha256, clock);
  d.state.recordResult(record, (d.score ?? DEFAULT_CHALLENGE_SCORE_CONFIG).emaAlpha);
  return record;
}

async function queryMiner(d: QueryDeps, c: QueryContender, id: string, ch: Challenge, contextSha256: string, clock: StageClock): Promise<ResultRecord> {
  const tier = d.tiers[c.tier]!;
  const kind = ch.questions[0]?.kind ?? "unknown";
  const started = performance.now();
  const done = (r: Omit<ResultRecord, "challengeId">, extra: { answers?: string[]; verdicts?: boolean[] } = {}): ResultRecord => {
    const rec = { challengeId: id, ...r, timings: { ...clock.timings }, ...(extra.answers && extra.verdicts ? { decoded: { answers: extra.answers, verdicts: extra.verdicts } } : {}) };
    d.onResult?.(c, rec, { kind, ...extra });
    if (rec.outcome !== "ok") d.log.info({ uid: c.uid, tier: c.tier, outcome: rec.outcome, code: rec.refusalCode, detail: rec.detail }, "challenge not scored");
    return rec;
  };
  // Only the context and the target model reach the miner: questions and answers stay here.
  const target = d.targetModel(c.tier);
  const req = TextCompressProtocol.create({ context: minerView(ch).context, target_model: target, compressed_kv_format: "safetensors" } as Partial<TextCompressValues> as never);
  const timeoutMs = tier.timeout_s * 1000;
  const r = await d.dendrite.call({ ip: c.ip, port: c.port, hotkey: c.hotkey }, req, { timeoutS: tier.timeout_s });
  clock.mark("miner");
  const status = r.dendrite.status_code ?? 0;
  const detail = `${status} ${r.dendrite.status_message ?? ""}`;
  if (status === 429) return done({ outcome: "rate_limited", refusalCode: "MINER_RATE_LIMITED" satisfies RefusalCode, detail, score: 0 });
  if (status !== 200) return done({ outcome: "failed", refusalCode: (status === 408 ? "MINER_TIMEOUT" : status === 503 && !r.axon.status_code ? "MINER_UNREACHABLE" : "MINER_ERROR") satisfies RefusalCode, detail, score: 0 });
  if (!r.compressed_kv_url) return done({ outcome: "refused", refusalCode: "NO_URL" satisfies RefusalCode, detail, score: 0 });

  let file: string | null = null;
  try {
    const maxBytes = maxContainerBytes({ model: d.model, maxKeptTokens: tier.max_condensed_tokens, allowedDtypes: DEFAULT_ALLOWED_DTYPES });
    const dl = await downloadToFile(r.compressed_kv_url, { dispatcher: d.download.dispatcher, dir: d.download.dir, maxBytes, deadline: Date.now() + (d.downloadTimeoutMs ?? timeoutMs), policy: d.download.policy });
    file = dl.path;
    clock.mark("download");
    const header = await checkContainer(dl.path, {
      targetModel: target,
      model: d.model,
      minKeptTokens: tier.min_condensed_tokens,
      maxKeptTokens: tier.max_condensed_tokens,
      contextSha256,
      minerHotkey: c.hotkey,
    });
    clock.mark("verify");
    const seconds = (performance.now() - started) / 1000;
    const ev = await d.evaluate(challengeItem(ch, id, { path: dl.path }));
    clock.mark("evaluate");
    // The container's own failure in the worker (e.g. tensors that do not load): the miner's fault.
    if (!ev.ok) return done({ outcome: "refused", refusalCode: "EVALUATE_REFUSED" satisfies RefusalCode, detail: `${ev.codeName}: ${ev.message}`, score: 0, seconds });
    const positives = ch.chunks.flatMap((x, i) => (x.inContext ? [ev.existenceCorrect[i] === true] : []));
    const negatives = ch.chunks.flatMap((x, i) => (x.inContext ? [] : [ev.existenceCorrect[i] === true]));
    const kept = header.meta.keptTokens;
    const original = header.meta.originalTokens;
    const s = scoreChallenge(
      { challengeId: id, kind, accelerate: tier.accelerate_reward_scalar, fullAccuracy: d.fullAccuracy(kind), positives, negatives, answers: ev.correct, keptTokens: kept, originalTokens: original, maxCondensedTokens: tier.max_condensed_tokens },
      d.score ?? DEFAULT_CHALLENGE_SCORE_CONFIG,
    );
    clock.mark("score");
    return done({ outcome: "ok", accuracy: s.accuracy, score: s.score, keptTokens: kept, originalTokens: original, seconds }, { answers: ev.answers, verdicts: ev.correct });
  } catch (e) {
    if (isVerifyError(e)) return done({ outcome: "refused", refusalCode: e.code, detail: e.detail, score: 0 });
    throw e;
  } finally {
    if (file) await rm(file, { force: true });
  }
}
