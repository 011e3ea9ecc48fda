// One synthetic query, end to end: make the contender's own challenge (a worker, seeded from the validator's
// secret, logged before anything is sent), send only the context to the miner, verify what comes back (URL
// policy, capped download, container header and binding), evaluate it in a batch with other miners'
// containers, score it, and record the result. Every step's failure becomes one stable outcome code; the
// result is written once per challenge id, so a restart that runs a query again counts it once.
import { createHash, createHmac } from "node:crypto";
import { rm } from "node:fs/promises";
import type { Logger } from "pino";
import type { Dispatcher } from "undici";
import { TextCompressProtocol, type TextCompressValues } from "../../bittensor/protocols.js";
import type { ModelShape } from "../../container/types.js";
import type { Dendrite } from "../../dendrite/dendrite.js";
import type { ChallengeReply, EvaluateItemResult } from "../../gen/condense/v1/worker_pb.js";
import type { TierConfig } from "../../subnet/index.js";
import { DEFAULT_CHALLENGE_SCORE_CONFIG, scoreChallenge, type ChallengeScoreConfig } from "../score/index.js";
import type { ResultRecord, ValidatorState } from "../state/index.js";
import { checkContainer, downloadToFile, isVerifyError, maxContainerBytes, type UrlPolicy } from "../verify/index.js";
import { DEFAULT_ALLOWED_DTYPES } from "../verify/container.js";

/** What the Challenge request takes, minus nothing: stored with the log so the challenge replays exactly. */
export interface ChallengeParams {
  seed: string;
  minChars: number;
  maxChars: number;
  kinds: string[];
  numQuestions: number;
  targetModel: string;
  salt: string;
}

/** One container for the batched Evaluate, with its challenge's questions and ground truth. */
export interface EvalItem {
  id: string;
  containerPath: string;
  questions: string[];
  expected: string[][];
  chunks: string[];
  labels: boolean[];
}

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
  challenge: (p: ChallengeParams) => Promise<ChallengeReply>;
  /** Batched Evaluate (a Batcher in front of the worker); one result per item. */
  evaluate: (item: EvalItem) => Promise<EvaluateItemResult>;
  /** The worker model's shape: what containers must match. */
  model: ModelShape;
  download: { dispatcher: Dispatcher; dir: string; policy: UrlPolicy };
  /** Task kinds to draw from (calibrated) and the full cache's accuracy per kind. */
  kinds: readonly string[];
  fullAccuracy: (kind: string) => number | null;
  questions: number;
  targetModel: (tier: string) => string;
  score?: ChallengeScoreConfig;
  log: Logger;
  onResult?: (c: QueryContender, r: ResultRecord, extra: { kind: string; answers?: string[]; verdicts?: boolean[] }) => void;
}

/** Stable id of the contender's index-th query in a period: the same query after a restart has the same id. */
export function challengeId(c: Pick<QueryContender, "periodId" | "hotkey" | "tier">, index: number): string {
  return createHash("sha256").update(`${c.periodId}\n${c.hotkey}\n${c.tier}\n${index}`).digest("hex").slice(0, 32);
}

/** The challenge seed: a u64 from HMAC(secret, id), as a decimal string. */
export function challengeSeed(secret: Buffer, id: string): string {
  return createHmac("sha256", secret).update(id).digest().readBigUInt64BE(0).toString();
}

export const sha256Hex = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");

/** Params for a contender's query: the context length is drawn within the tier's character bounds. */
export function challengeParams(d: Pick<QueryDeps, "secret" | "kinds" | "questions" | "targetModel" | "tiers">, c: QueryContender, id: string): ChallengeParams {
  const tier = d.tiers[c.tier]!;
  return {
    seed: challengeSeed(d.secret, id),
    // Below a few thousand characters a task cannot hold its filler; the subnet drew from about half the cap up.
    minChars: Math.min(tier.max_context_length_in_chars, Math.max(1000, Math.floor(tier.max_context_length_in_chars / 2))),
    maxChars: tier.max_context_length_in_chars,
    kinds: [...d.kinds],
    numQuestions: d.questions,
    targetModel: d.targetModel(c.tier),
    // The contender's hotkey in the salt: a container made for one miner's challenge is worthless for another's.
    salt: `${c.hotkey}:${id}`,
  };
}

export async function runQuery(d: QueryDeps, c: QueryContender, index: number, scheduledAt: number): Promise<ResultRecord> {
  const id = challengeId(c, index);
  const params = challengeParams(d, c, id);
  const ch = await d.challenge(params);
  const kind = ch.questions[0]?.kind ?? "unknown";
  const context = ch.formattedContext;
  const contextSha256 = sha256Hex(context);
  d.state.logChallenge({
    id,
    periodId: c.periodId,
    hotkey: c.hotkey,
    tier: c.tier,
    uid: c.uid,
    origin: "synthetic",
    kind,
    seed: params.seed,
    params,
    groundTruth: { answers: ch.questions.map((q) => q.answers), chunks: ch.chunks.map((x) => ({ text: x.text, in_context: x.inContext })) },
    contextSha256,
    fullAccuracy: d.fullAccuracy(kind),
    scheduledAt,
  });
  const record = await queryMiner(d, c, id, ch, contextSha256);
  d.state.recordResult(record, (d.score ?? DEFAULT_CHALLENGE_SCORE_CONFIG).emaAlpha);
  return record;
}

async function queryMiner(d: QueryDeps, c: QueryContender, id: string, ch: ChallengeReply, contextSha256: string): Promise<ResultRecord> {
  const tier = d.tiers[c.tier]!;
  const kind = ch.questions[0]?.kind ?? "unknown";
  const started = performance.now();
  const done = (r: Omit<ResultRecord, "challengeId">, extra: { answers?: string[]; verdicts?: boolean[] } = {}): ResultRecord => {
    const rec = { challengeId: id, ...r };
    d.onResult?.(c, rec, { kind, ...extra });
    if (rec.outcome !== "ok") d.log.info({ uid: c.uid, tier: c.tier, outcome: rec.outcome, code: rec.refusalCode, detail: rec.detail }, "challenge not scored");
    return rec;
  };
  // Only the context and the target model reach the miner: questions and answers stay here.
  const req = TextCompressProtocol.create({ context: ch.formattedContext, target_model: ch.targetModel || d.targetModel(c.tier), compressed_kv_format: "safetensors" } as Partial<TextCompressValues> as never);
  const timeoutMs = tier.timeout_s * 1000;
  const r = await d.dendrite.call({ ip: c.ip, port: c.port, hotkey: c.hotkey }, req, { timeoutS: tier.timeout_s });
  const status = r.dendrite.status_code ?? 0;
  if (status === 429) return done({ outcome: "rate_limited", refusalCode: "HTTP_429", detail: r.dendrite.status_message, score: 0 });
  if (status !== 200) return done({ outcome: "failed", refusalCode: status === 408 ? "TIMEOUT" : `HTTP_${status || "UNREACHABLE"}`, detail: r.dendrite.status_message, score: 0 });

  let file: string | null = null;
  try {
    const maxBytes = maxContainerBytes({ model: d.model, maxKeptTokens: tier.max_condensed_tokens, allowedDtypes: DEFAULT_ALLOWED_DTYPES });
    // The download shares the tier's timeout with the compress call, as the miner's own deadline does.
    const dl = await downloadToFile(r.compressed_kv_url, { dispatcher: d.download.dispatcher, dir: d.download.dir, maxBytes, deadline: Date.now() + Math.max(1000, timeoutMs), policy: d.download.policy });
    file = dl.path;
    const header = await checkContainer(dl.path, {
      targetModel: ch.targetModel || d.targetModel(c.tier),
      model: d.model,
      minKeptTokens: tier.min_condensed_tokens,
      maxKeptTokens: tier.max_condensed_tokens,
      contextSha256,
      minerHotkey: c.hotkey,
    });
    const seconds = (performance.now() - started) / 1000;
    const ev = await d.evaluate({
      id,
      containerPath: dl.path,
      questions: ch.questions.map((q) => q.formattedQuestion),
      expected: ch.questions.map((q) => q.answers),
      chunks: ch.chunks.map((x) => x.text),
      labels: ch.chunks.map((x) => x.inContext),
    });
    if (ev.error) return done({ outcome: "refused", refusalCode: "EVALUATE_FAILED", detail: ev.error.message, score: 0, seconds });
    const positives = ch.chunks.flatMap((x, i) => (x.inContext ? [ev.existenceCorrect[i] === true] : []));
    const negatives = ch.chunks.flatMap((x, i) => (x.inContext ? [] : [ev.existenceCorrect[i] === true]));
    const kept = header.meta.keptTokens;
    const original = header.meta.originalTokens;
    const s = scoreChallenge(
      { challengeId: id, kind, accelerate: tier.accelerate_reward_scalar, fullAccuracy: d.fullAccuracy(kind), positives, negatives, answers: ev.correct, keptTokens: kept, originalTokens: original, maxCondensedTokens: tier.max_condensed_tokens },
      d.score ?? DEFAULT_CHALLENGE_SCORE_CONFIG,
    );
    return done({ outcome: "ok", accuracy: s.accuracy, score: s.score, keptTokens: kept, originalTokens: original, seconds }, { answers: ev.answers, verdicts: ev.correct });
  } catch (e) {
    if (isVerifyError(e)) return done({ outcome: "refused", refusalCode: e.code, detail: e.detail, score: 0 });
    throw e;
  } finally {
    if (file) await rm(file, { force: true });
  }
}
