// The grid: algorithms x ratios x task kinds x context lengths, every cell scored by the validator's own code.
// Each challenge is the validator's (challengeParams / challengeId / requestChallenge, seeded from the run's
// secret and the miner hotkey the challenges are made for); each container is made by the miner's compressor,
// signed, checked by the validator's container checks (checkContainer: shape, bounds, binding, signature),
// evaluated by evaluateContainers and scored by scoreChallenge. With --against, the same challenges go to a
// running miner through the validator's runQuery (dendrite call, download, verify, evaluate, score).
import { createHash, randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { signContainer } from "../container/signature.js";
import { contextSha256 } from "../container/hash.js";
import type { ModelShape } from "../container/types.js";
import type { Dendrite } from "../dendrite/dendrite.js";
import { WorkerPoolCompressor, type PoolLike } from "../miner/compressor.js";
import type { TierConfig } from "../subnet/index.js";
import { requestChallenge, type Challenge } from "../validator/challenges/index.js";
import { challengeItem, evaluateContainers, type EvaluateItemInput, type ItemResult } from "../validator/evaluate/index.js";
import { challengeId, challengeParams, runQuery, type QueryContender, type QueryDeps } from "../validator/schedule/query.js";
import { challengeAccuracy, compressionBonus, DEFAULT_CHALLENGE_SCORE_CONFIG, existenceScore, scoreChallenge, shareOfFull, type ChallengeScoreConfig } from "../validator/score/index.js";
import { openValidatorState } from "../validator/state/index.js";
import { checkContainer, createGuardedAgent, DEFAULT_URL_POLICY, isVerifyError } from "../validator/verify/index.js";
import type { Keypair } from "../wallet/keypair.js";
import { WorkerError } from "../workers/index.js";
import { measureReadback, questionSuffix, readbackPrompt, readbackTokens, tokenize, WORKER_MAX_NEW_TOKENS } from "./readback.js";
import { summarize } from "./summary.js";
import type { ChallengeRecord, Config, EvalReport, ProgressEvent } from "./types.js";

export interface AgainstTarget {
  ip: string;
  port: number;
  hotkey: string;
  uid: number | null;
  dendrite: Dendrite;
  /** Download containers from loopback/private addresses (the validator's --validator.allow_private_downloads). */
  allowPrivate: boolean;
}

export interface EvalOptions {
  pool: PoolLike;
  model: ModelShape;
  workerModel: string;
  /** The tier whose bounds, timeout and accelerate scalar apply; each length replaces its character cap. */
  tierName: string;
  tier: TierConfig;
  /** The tier's target model (what containers name), and whose template challenges use ("" = the worker's). */
  targetModel: string;
  templateModel: string;
  algorithms: readonly string[];
  ratios: readonly number[];
  kinds: readonly string[];
  /** Context length caps, characters. */
  lengths: readonly number[];
  /** Challenges per kind x length, and questions per challenge. */
  samples: number;
  questions: number;
  /** The challenge secret is sha256(seed). */
  seed: string;
  /** Challenges per kind x length whose containers are also asked to repeat the context (0 = none). */
  readback: number;
  readbackMaxTokens?: number;
  /** "auto": the validator's rule (on where the full cache's existence score reaches minFullExistence). */
  existence: "auto" | "on" | "off";
  minFullExistence: number;
  /** Containers per Evaluate request (the validator's --validator.eval_batch). */
  evalBatch: number;
  /** Signs the local containers. */
  signer: Keypair;
  /** Private tmpfs folder for containers (createPrivateDir). */
  dir: string;
  against?: AgainstTarget;
  onProgress?: (e: ProgressEvent) => void;
  log: Logger;
}

const COMPRESS_TIMEOUT_MS = 600_000;

export function configsOf(algorithms: readonly string[], ratios: readonly number[]): Config[] {
  const out: Config[] = [{ name: "full", algorithm: "full", ratio: 0, source: "local" }];
  for (const a of algorithms) if (a !== "full") for (const r of ratios) out.push({ name: `${a}@${r}`, algorithm: a, ratio: r, source: "local" });
  return out;
}

/** The tier of one grid cell: the base tier with the cell's character cap (challengeBounds draws within it). */
function cellTierName(tier: string, kind: string, length: number): string {
  return `${tier}:${kind}:${length}`;
}

interface Pending {
  record: ChallengeRecord;
  chunks: Challenge["chunks"];
}

export async function runEval(o: EvalOptions): Promise<EvalReport> {
  const started = Date.now();
  const secret = createHash("sha256").update(o.seed, "utf8").digest();
  const configs = configsOf(o.algorithms, o.ratios);
  const subject = o.against?.hotkey ?? o.signer.address;
  const tiers: Record<string, TierConfig> = {};
  for (const k of o.kinds) for (const L of o.lengths) tiers[cellTierName(o.tierName, k, L)] = { ...o.tier, max_context_length_in_chars: L };
  const contender = (kind: string, length: number): QueryContender => ({ periodId: 0, uid: o.against?.uid ?? 0, hotkey: subject, tier: cellTierName(o.tierName, kind, length), ip: o.against?.ip ?? "127.0.0.1", port: o.against?.port ?? 0 });
  const paramsDeps = (kind: string) => ({ secret, kinds: [kind], questions: o.questions, templateModel: () => o.templateModel, tiers });
  const readbackSamples = Math.min(o.readback, o.samples);
  const cells = o.kinds.length * o.lengths.length;
  const total = cells * (o.samples * (1 + configs.length + 1) + readbackSamples + (o.against ? o.samples : 0));
  let done = 0;
  const tick = (what: string, n = 1) => {
    done += n;
    o.onProgress?.({ done, total, what });
  };

  let prompt: string | null = null;
  if (readbackSamples > 0) {
    const [kind, L] = [o.kinds[0]!, o.lengths[0]!];
    const c = contender(kind, L);
    prompt = readbackPrompt(await questionSuffix(o.pool, { ...challengeParams(paramsDeps(kind), c, challengeId(c, -1)) }));
  }

  const compressor = new WorkerPoolCompressor(o.pool);
  const pending: Pending[] = [];
  const challenges = new Map<string, Challenge>();

  for (const L of o.lengths)
    for (const kind of o.kinds)
      for (let sample = 0; sample < o.samples; sample++) {
        const c = contender(kind, L);
        const id = challengeId(c, sample);
        const params = challengeParams(paramsDeps(kind), c, id);
        const ch = await requestChallenge(o.pool, params);
        challenges.set(id, ch);
        tick(`challenge ${kind} ${L} #${sample}`);
        const sha = contextSha256(ch.formattedContext);
        const base = { kind, length: L, sample, challengeId: id, seed: params.seed.toString(), salt: params.salt, contextChars: ch.contextChars, contextSha256: sha };
        const made = await Promise.all(
          configs.map(async (cfg) => {
            const r = await localContainer(o, compressor, cfg, ch, sha);
            tick(`compress ${cfg.name}`);
            return { cfg, ...r };
          }),
        );
        const items: EvaluateItemInput[] = [];
        const records: ChallengeRecord[] = made.map(({ cfg, file, error, kept, original, compressS }) => {
          if (file) items.push(challengeItem(ch, cfg.name, { path: file }));
          return emptyRecord(cfg, base, { outcome: error ? error.outcome : "ok", code: error?.code ?? null, detail: error?.detail ?? null, keptTokens: kept, originalTokens: original, compress: compressS });
        });
        const t0 = performance.now();
        const results = items.length ? await evaluateContainers(o.pool, items, { maxItemsPerRequest: o.evalBatch }) : [];
        const evalS = (performance.now() - t0) / 1000 / Math.max(1, items.length);
        tick(`evaluate ${kind} ${L} #${sample}`);
        const byName = new Map(results.map((r) => [r.id, r]));
        for (const rec of records) {
          const r = byName.get(rec.config);
          if (!r) continue;
          applyEvaluation(rec, r, evalS);
        }
        if (sample < readbackSamples && prompt) {
          const okItems = items.filter((it) => byName.get(it.id)?.ok);
          const original = Math.max(...records.map((r) => r.originalTokens ?? 0));
          const maxNew = readbackTokens(original, o.readbackMaxTokens ?? WORKER_MAX_NEW_TOKENS);
          const rb = okItems.length ? await evaluateContainers(o.pool, okItems.map((it) => ({ id: it.id, containerPath: it.containerPath!, questions: [prompt!] })), { maxNewTokens: maxNew, maxItemsPerRequest: o.evalBatch }) : [];
          const contextIds = await tokenize(o.pool, ch.context);
          for (const r of rb) {
            if (!r.ok) continue;
            const rec = records.find((x) => x.config === r.id)!;
            const reply = r.answers[0] ?? "";
            rec.readback = { ...measureReadback(contextIds, await tokenize(o.pool, reply), maxNew), reply };
          }
          tick(`read-back ${kind} ${L} #${sample}`);
        }
        await Promise.all(items.map((it) => rm(it.containerPath!, { force: true })));
        for (const rec of records) {
          rec.chunksInContext = ch.chunks.map((x) => x.inContext);
          pending.push({ record: rec, chunks: ch.chunks });
        }
      }

  // The full cache decides the existence rule and each kind's full accuracy, as calibration does for the validator.
  const full = pending.filter((p) => p.record.config === "full" && p.record.outcome === "ok");
  const split = (p: Pending) => ({
    positives: p.chunks.flatMap((x, i) => (x.inContext ? [p.record.existenceCorrect[i] === true] : [])),
    negatives: p.chunks.flatMap((x, i) => (x.inContext ? [] : [p.record.existenceCorrect[i] === true])),
  });
  const fullExistence = full.length ? full.reduce((a, p) => a + existenceScore(split(p).positives, split(p).negatives), 0) / full.length : 0;
  const useExistence = o.existence === "on" || (o.existence === "auto" && fullExistence >= o.minFullExistence);
  const scoreCfg: ChallengeScoreConfig = { ...DEFAULT_CHALLENGE_SCORE_CONFIG, useExistence };
  const fullAccuracy: Record<string, number> = {};
  for (const L of o.lengths)
    for (const kind of o.kinds) {
      const fs = pending.filter((p) => p.record.config === "full" && p.record.kind === kind && p.record.length === L);
      fullAccuracy[`${kind}@${L}`] = fs.length ? fs.reduce((a, p) => a + (p.record.outcome === "ok" ? challengeAccuracy({ ...split(p), answers: p.record.correct }, scoreCfg) : 0), 0) / fs.length : 0;
    }
  const fullOf = new Map(pending.filter((p) => p.record.config === "full").map((p) => [p.record.challengeId, p.record.correct]));
  for (const p of pending) {
    const r = p.record;
    r.fullCorrect = [...(fullOf.get(r.challengeId) ?? [])];
    if (r.outcome !== "ok") continue;
    const s = scoreChallenge(
      { challengeId: r.challengeId, kind: r.kind, accelerate: o.tier.accelerate_reward_scalar, fullAccuracy: fullAccuracy[`${r.kind}@${r.length}`] ?? null, ...split(p), answers: r.correct, keptTokens: r.keptTokens!, originalTokens: r.originalTokens!, maxCondensedTokens: o.tier.max_condensed_tokens },
      scoreCfg,
    );
    Object.assign(r, { accuracy: s.accuracy, compressionBonus: s.compressionBonus, score: s.score, validatorShareOfFull: s.shareOfFull });
  }
  const records = pending.map((p) => p.record);

  let againstConfig: Config | null = null;
  if (o.against) {
    const a = o.against;
    againstConfig = { name: `miner:${a.uid ?? `${a.ip}:${a.port}`}`, algorithm: "miner", ratio: 0, source: "miner" };
    records.push(...(await runAgainst(o, a, againstConfig, { secret, tiers, contender, challenges, fullAccuracy, scoreCfg, prompt, readbackSamples, fullOf, tick })));
  }

  const allConfigs = againstConfig ? [...configs, againstConfig] : configs;
  const rows = allConfigs.map((c) => summarize(c, records));
  const cellRows = allConfigs.flatMap((c) => o.lengths.flatMap((L) => o.kinds.map((k) => summarize(c, records, k, L))));
  return {
    eval: "condense",
    when: new Date().toISOString(),
    workerModel: o.workerModel,
    targetModel: o.targetModel,
    standIn: o.templateModel === "",
    tier: o.tierName,
    grid: { algorithms: configs.filter((c) => c.algorithm !== "full").map((c) => c.algorithm).filter((x, i, xs) => xs.indexOf(x) === i), ratios: [...o.ratios], kinds: [...o.kinds], lengths: [...o.lengths], samples: o.samples, questions: o.questions },
    seed: o.seed,
    subjectHotkey: subject,
    score: { useExistence, existenceGate: scoreCfg.existenceGate, compressionBonus: scoreCfg.compressionBonus, accelerate: o.tier.accelerate_reward_scalar, maxCondensedTokens: o.tier.max_condensed_tokens, minCondensedTokens: o.tier.min_condensed_tokens },
    fullExistence,
    fullAccuracy,
    readbackPrompt: prompt,
    against: o.against ? { address: `${o.against.ip}:${o.against.port}`, hotkey: o.against.hotkey, uid: o.against.uid } : null,
    rows,
    cells: cellRows,
    challenges: records,
    seconds: (Date.now() - started) / 1000,
    plot: null,
  };
}

type LocalOutcome = { file: string | null; error: { outcome: "refused" | "failed"; code: string; detail: string } | null; kept: number | null; original: number | null; compressS: number | null };

/** What a miner running `cfg` would hand over, checked the way the validator checks a download. */
async function localContainer(o: EvalOptions, compressor: WorkerPoolCompressor, cfg: Config, ch: Challenge, sha: string): Promise<LocalOutcome> {
  const file = path.join(o.dir, `${randomBytes(12).toString("hex")}.safetensors`);
  const isFull = cfg.algorithm === "full";
  const t0 = performance.now();
  let out;
  try {
    // The miner's request: the tier's kept-token bounds (tier-select.ts); the full cache keeps everything.
    out = await compressor.compress(
      { context: ch.formattedContext, targetModel: o.targetModel, algorithm: cfg.algorithm, ratio: cfg.ratio, minTokens: isFull ? 0 : o.tier.min_condensed_tokens, maxTokens: isFull ? 0 : o.tier.max_condensed_tokens, outputPath: file, minerHotkey: o.signer.address },
      { deadline: Date.now() + COMPRESS_TIMEOUT_MS },
    );
    await signContainer(file, o.signer);
  } catch (e) {
    await rm(file, { force: true });
    // A worker refusing the job is what a miner would answer with an error: the validator counts a failure.
    if (e instanceof WorkerError) return { file: null, error: { outcome: "failed", code: "MINER_ERROR", detail: `${e.codeName}: ${e.message}` }, kept: null, original: null, compressS: null };
    throw e;
  }
  const compressS = (performance.now() - t0) / 1000;
  try {
    const header = await checkContainer(file, {
      targetModel: o.targetModel,
      model: o.model,
      // The full cache is the reference, not an answer: it is held to the binding and the shape, not the tier's bounds.
      minKeptTokens: isFull ? 1 : o.tier.min_condensed_tokens,
      maxKeptTokens: isFull ? Math.max(o.tier.max_condensed_tokens, out.originalTokens) : o.tier.max_condensed_tokens,
      contextSha256: sha,
      minerHotkey: o.signer.address,
    });
    return { file, error: null, kept: header.meta.keptTokens, original: header.meta.originalTokens, compressS };
  } catch (e) {
    await rm(file, { force: true });
    if (isVerifyError(e)) return { file: null, error: { outcome: "refused", code: e.code, detail: e.detail }, kept: out.keptTokens, original: out.originalTokens, compressS };
    throw e;
  }
}

function emptyRecord(
  cfg: Config,
  base: Pick<ChallengeRecord, "kind" | "length" | "sample" | "challengeId" | "seed" | "salt" | "contextChars" | "contextSha256">,
  x: { outcome: ChallengeRecord["outcome"]; code: string | null; detail: string | null; keptTokens: number | null; originalTokens: number | null; compress: number | null },
): ChallengeRecord {
  return {
    config: cfg.name,
    algorithm: cfg.algorithm,
    ratio: cfg.ratio,
    ...base,
    outcome: x.outcome,
    code: x.code,
    detail: x.detail,
    keptTokens: x.keptTokens,
    originalTokens: x.originalTokens,
    answers: [],
    correct: [],
    existenceCorrect: [],
    chunksInContext: [],
    fullCorrect: [],
    accuracy: 0,
    compressionBonus: 0,
    score: 0,
    validatorShareOfFull: null,
    readback: null,
    seconds: { compress: x.compress, evaluate: null },
  };
}

function applyEvaluation(rec: ChallengeRecord, r: ItemResult, evalS: number): void {
  rec.seconds.evaluate = evalS;
  if (!r.ok) {
    // The container's own failure in the worker: the validator's EVALUATE_REFUSED.
    Object.assign(rec, { outcome: "refused", code: "EVALUATE_REFUSED", detail: `${r.codeName}: ${r.message}` });
    return;
  }
  rec.answers = r.answers;
  rec.correct = r.correct;
  rec.existenceCorrect = r.existenceCorrect;
}

interface AgainstContext {
  secret: Buffer;
  tiers: Record<string, TierConfig>;
  contender: (kind: string, length: number) => QueryContender;
  challenges: Map<string, Challenge>;
  fullAccuracy: Record<string, number>;
  scoreCfg: ChallengeScoreConfig;
  prompt: string | null;
  readbackSamples: number;
  fullOf: Map<string, boolean[]>;
  tick: (what: string) => void;
}

/** The same challenges sent to a running miner through the validator's runQuery, on a throwaway state. */
async function runAgainst(o: EvalOptions, a: AgainstTarget, cfg: Config, x: AgainstContext): Promise<ChallengeRecord[]> {
  const state = openValidatorState(path.join(o.dir, "against.db"));
  const agent = createGuardedAgent({ policy: { ...DEFAULT_URL_POLICY, allowPrivate: a.allowPrivate }, connections: 2 });
  const out: ChallengeRecord[] = [];
  try {
    const now = Date.now();
    state.openPeriod(0, now, now + 86_400_000);
    const big = 1_000_000;
    state.upsertContenders(0, Object.keys(x.tiers).map((tier) => ({ hotkey: a.hotkey, tier, uid: a.uid ?? 0, declaredCapacity: big, budget: big, capacity: big, testShare: 1, planned: o.samples })));
    for (const L of o.lengths)
      for (const kind of o.kinds) {
        const c = x.contender(kind, L);
        for (let sample = 0; sample < o.samples; sample++) {
          const id = challengeId(c, sample);
          let answers: string[] = [];
          let verdicts: boolean[] = [];
          let readback: ChallengeRecord["readback"] = null;
          const deps: QueryDeps = {
            state,
            dendrite: a.dendrite,
            tiers: x.tiers,
            secret: x.secret,
            challenge: (p) => requestChallenge(o.pool, p),
            evaluate: async (item) => {
              const [r] = await evaluateContainers(o.pool, [item], { maxItemsPerRequest: 1 });
              // Read back from the miner's container while the validator still holds it (runQuery deletes it after).
              if (r?.ok && x.prompt && sample < x.readbackSamples) {
                const maxNew = readbackTokens(r.nextPosition, o.readbackMaxTokens ?? WORKER_MAX_NEW_TOKENS);
                const [rb] = await evaluateContainers(o.pool, [{ id: item.id, containerPath: item.containerPath!, questions: [x.prompt] }], { maxNewTokens: maxNew });
                const ch = x.challenges.get(id);
                if (rb?.ok && ch) {
                  const reply = rb.answers[0] ?? "";
                  readback = { ...measureReadback(await tokenize(o.pool, ch.context), await tokenize(o.pool, reply), maxNew), reply };
                }
              }
              return r!;
            },
            model: o.model,
            download: { dispatcher: agent, dir: o.dir, policy: { ...DEFAULT_URL_POLICY, allowPrivate: a.allowPrivate } },
            kinds: [kind],
            fullAccuracy: (k) => x.fullAccuracy[`${k}@${L}`] ?? null,
            questions: o.questions,
            targetModel: () => o.targetModel,
            templateModel: () => o.templateModel,
            score: x.scoreCfg,
            log: o.log.child({ part: "against" }),
            onResult: (_c, _r, extra) => {
              answers = extra.answers ?? [];
              verdicts = extra.verdicts ?? [];
            },
          };
          const t0 = performance.now();
          const res = await runQuery(deps, c, sample, Date.now());
          const logged = state.challenge(id);
          const ch = x.challenges.get(id);
          const params = logged?.params as { seed?: string; salt?: string } | undefined;
          const rec = emptyRecord(cfg, { kind, length: L, sample, challengeId: id, seed: params?.seed ?? "", salt: params?.salt ?? "", contextChars: ch?.contextChars ?? 0, contextSha256: logged?.contextSha256 ?? "" }, { outcome: res.outcome, code: res.refusalCode ?? null, detail: res.detail ?? null, keptTokens: res.keptTokens ?? null, originalTokens: res.originalTokens ?? null, compress: null });
          rec.seconds = { compress: res.seconds ?? null, evaluate: (performance.now() - t0) / 1000 - (res.seconds ?? 0) };
          rec.answers = answers;
          rec.correct = verdicts;
          rec.fullCorrect = [...(x.fullOf.get(id) ?? [])];
          rec.accuracy = res.accuracy ?? 0;
          rec.score = res.score;
          if (res.outcome === "ok" && res.keptTokens !== null && res.keptTokens !== undefined)
            rec.compressionBonus = compressionBonus({ keptTokens: res.keptTokens, originalTokens: res.originalTokens ?? 0, maxCondensedTokens: o.tier.max_condensed_tokens }, x.scoreCfg.compressionBonus);
          rec.validatorShareOfFull = res.outcome === "ok" ? shareOfFull(rec.accuracy, x.fullAccuracy[`${kind}@${L}`]) : null;
          rec.readback = readback;
          out.push(rec);
          x.tick(`miner ${kind} ${L} #${sample}`);
        }
      }
  } finally {
    await agent.close();
    state.close();
  }
  return out;
}
