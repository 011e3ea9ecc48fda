// `condense validator` assembled: neuron start-up (keys, chain, registration) -> permit check -> tiers -> state
// (SQLite) -> workers (challenge, evaluate) -> calibration -> the period loop (ts/validator/schedule) with
// weights at each period's close (ts/validator/weights) -> the organic API and the operations app.
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import Fastify from "fastify";
import type { Logger } from "pino";
import { Metadata } from "../bittensor/protocols.js";
import { ConfigError, type ConfigIssue } from "../config/resolve.js";
import { contextSha256 } from "../container/hash.js";
import type { ModelShape } from "../container/types.js";
import { Dendrite } from "../dendrite/dendrite.js";
import { StartupError, startNeuron, startWorkers, requireCapability, announcedCapabilities, startOpsApp, healthOf, metricsPlugin, healthPlugin, type Neuron, type NeuronDeps, type NeuronPool, type StartPool } from "../neuron/index.js";
import { canonicalModel, loadTierTable, TierConfigError, type TierTable } from "../subnet/index.js";
import { calibrate, type CalibrationTable } from "./challenges/calibration.js";
import { offerCorpusQa, requestChallenge } from "./challenges/index.js";
import type { ValidatorConfig } from "./config.js";
import { evaluateContainers, type EvaluateItemInput, type ItemResult } from "./evaluate/index.js";
import { ApiKeyStore, OrganicRouter, organicPlugin, type ForwardOutcome, type OkOutcome, type OrganicCandidate, type OrganicRequest } from "./organic/index.js";
import { dendriteForward } from "./organic/forward.js";
import { Batcher } from "./schedule/batcher.js";
import { runPeriod, type PeriodOutcome } from "./schedule/period.js";
import { periodAt } from "./schedule/plan.js";
import { PROCEDURAL_KINDS } from "./challenges/kinds.js";
import { challengeBounds, runQuery, type QueryDeps } from "./schedule/query.js";

export { challengeBounds };
import { DEFAULT_CHALLENGE_SCORE_CONFIG, DEFAULT_WEIGHTS_CONFIG, type ChallengeScoreConfig } from "./score/index.js";
import { ORGANIC_QA_KIND, OrganicScoringMetrics, ScoringQueue, scoreOrganicSample, type OrganicScoreDeps } from "./organic/index.js";
import { openValidatorState, type ValidatorState } from "./state/index.js";
import { checkContainer, createGuardedAgent, createPrivateDir, DEFAULT_URL_POLICY, downloadToFile, isVerifyError, maxContainerBytes, removePrivateDir, type RefusalCode } from "./verify/index.js";
import { DEFAULT_ALLOWED_DTYPES } from "./verify/container.js";
import type { ContainerHeader } from "../container/types.js";
import { revealPendingCommits, setPeriodWeights, type WeightsOutcome } from "./weights/index.js";

export interface ValidatorDeps extends NeuronDeps {
  startPool?: StartPool;
  /** Called after each period with what happened (tests, localnet). */
  onPeriod?: (p: PeriodOutcome, w: WeightsOutcome | null) => void;
  /** Runs no period loop (tests drive `runPeriodOnce`). */
  manual?: boolean;
}

export interface RunningValidator {
  neuron: Neuron;
  state: ValidatorState;
  pool: NeuronPool;
  tiers: TierTable;
  calibration: CalibrationTable;
  organicPort: number | null;
  opsPort: number | null;
  /**
   * Runs the current period to its end, then sets weights (what the loop does each period). Tests may name a
   * period: one already over runs its queries at once, and a fixed id (with a fixed secret) draws the same
   * challenges every run.
   */
  runPeriodOnce(signal?: AbortSignal, periodId?: number): Promise<{ period: PeriodOutcome; weights: WeightsOutcome | null }>;
  stop(): Promise<void>;
}

/** Cross-field checks the schema cannot make: the tier table loads, stand-ins only where allowed. */
export function planValidator(cfg: ValidatorConfig): { tiers: TierTable; targets: Map<string, string>; workerModel: string; standIn: boolean } {
  let tiers: TierTable;
  try {
    tiers = loadTierTable(cfg.validator.tiers_file);
  } catch (e) {
    if (e instanceof TierConfigError) throw new ConfigError([{ key: "validator.tiers_file", message: e.message, ...(cfg.validator.tiers_file ? { value: cfg.validator.tiers_file } : {}) }]);
    throw e;
  }
  const targets = new Map<string, string>();
  for (const [name, t] of Object.entries(tiers.tiers)) if (t.incentive_percentage > 0 && t.supporting_models[0]) targets.set(name, canonicalModel(tiers, t.supporting_models[0]));
  const issues: ConfigIssue[] = [];
  if (targets.size === 0) issues.push({ key: "validator.tiers_file", message: "no tier has an incentive above 0: nothing to validate" });
  const distinct = new Set(targets.values());
  if (distinct.size > 1 && !cfg.model) issues.push({ key: "model", message: `tiers target ${[...distinct].join(", ")}; one validator process serves one model: name it with --model` });
  const workerModel = cfg.model ?? [...distinct][0] ?? "";
  const standIn = ![...distinct].every((m) => m === workerModel);
  if (standIn && !cfg.validator.allow_stand_in) issues.push({ key: "model", message: `${workerModel} is not the tiers' target (${[...distinct].join(", ")}); add --validator.allow_stand_in for a local network`, value: workerModel });
  if (standIn && (cfg.subtensor.network === "finney" || cfg.subtensor.network === "test")) issues.push({ key: "validator.allow_stand_in", message: `a stand-in model is refused on ${cfg.subtensor.network}` });
  if (issues.length) throw new ConfigError(issues);
  return { tiers, targets, workerModel, standIn };
}

export async function startValidator(cfg: ValidatorConfig, deps: ValidatorDeps = {}): Promise<RunningValidator> {
  const plan = planValidator(cfg);
  const neuron = await startNeuron(cfg, deps);
  const log: Logger = neuron.log;
  const { cleanup } = neuron;
  try {
    if (cfg.validator.require_permit) {
      const mg = await neuron.chain.metagraph(cfg.netuid);
      if (!mg.validatorPermits[neuron.uid])
        throw new StartupError(`hotkey ${neuron.hotkey.address} (uid ${neuron.uid}) has no validator permit on netuid ${cfg.netuid}`, "stake enough to be among the subnet's top validators and wait for the next epoch, or pass --validator.require_permit false on a local network", "validator.require_permit");
    }
    mkdirSync(path.dirname(cfg.validator.state_path), { recursive: true, mode: 0o700 });
    const state = openValidatorState(cfg.validator.state_path);
    cleanup.push("state", () => state.close());
    const secret = state.secret();

    const pool = await startWorkers(cfg, plan.workerModel, { log, registry: neuron.registry, ...(deps.startPool ? { startPool: deps.startPool } : {}) });
    cleanup.push("workers", () => pool.close());
    const caps = announcedCapabilities(pool.workers());
    for (const cap of ["challenge", "evaluate", "compress:full"])
      requireCapability(caps, cap, "model", "use a worker build with the challenge, evaluate and compress handlers");
    const hello = pool.workers().find((w) => w.hello)!.hello!;
    const model: ModelShape = { numLayers: hello.shape!.numLayers, kvHeads: hello.shape!.numKvHeads, headDim: hello.shape!.headDim, hiddenSize: hello.shape!.hiddenSize };
    const templateModel = (tier: string) => (plan.standIn ? "" : plan.targets.get(tier)!);
    // The organic API (maybe another process, without workers) checks sampled containers against this shape.
    state.setMeta("model_shape", model);
    if (plan.standIn) log.warn({ model: plan.workerModel, targets: [...new Set(plan.targets.values())] }, `STAND-IN: validating with worker model ${plan.workerModel} (tests/localnet only)`);

    const dendrite = new Dendrite({ wallet: neuron.hotkey, auth: cfg.validator.auth, logger: log.child({ part: "dendrite" }) });
    cleanup.push("dendrite", () => dendrite.close());
    const dir = createPrivateDir("condense-validator-");
    cleanup.push("download folder", () => removePrivateDir(dir));
    const policy = { ...DEFAULT_URL_POLICY, allowPrivate: cfg.validator.allow_private_downloads ?? cfg.validator.allow_private };
    const agent = createGuardedAgent({ policy, connections: cfg.validator.download_concurrency });
    cleanup.push("download agent", () => agent.close());

    // Calibration per model and context size: measured once, kept in the state (shown in the logs each start).
    const bounds = challengeBounds(plan.tiers.tiers[[...plan.targets.keys()][0]!]!);
    const calKey = `calibration:${plan.workerModel}:${bounds.minChars}-${bounds.maxChars}`;
    let calibration = state.meta<CalibrationTable>(calKey);
    const { kinds: candidates, corpus } = offerCorpusQa(cfg.validator.challenge_kinds.length ? cfg.validator.challenge_kinds : DEFAULT_CHALLENGE_KINDS, cfg.validator.challenge_kinds.length > 0, cfg.validator, log);
    if (cfg.validator.calibration_file) calibration = readCalibrationFile(cfg.validator.calibration_file, plan.workerModel);
    // A table the operator names is authoritative: kinds it lacks are not used (never measured behind their back).
    const stale = !cfg.validator.calibration_file && (!calibration || calibration.existence === undefined || candidates.some((k) => !calibration!.kinds.some((c) => c.kind === k)));
    if (!calibration || stale) {
      log.info({ kinds: candidates, ...bounds }, "calibrating: full-cache accuracy per task kind");
      calibration = { ...(await calibrate(pool, { kinds: candidates, targetModel: [...plan.targets.values()][0]!, templateModel: templateModel([...plan.targets.keys()][0]!), ...bounds, minAccuracy: cfg.validator.min_full_accuracy, secret, dir, minerHotkey: neuron.hotkey.address, corpus, log })), model: plan.workerModel };
      state.setMeta(calKey, calibration);
    } else for (const k of calibration.kinds) log.info({ kind: k.kind, fullAccuracy: k.accuracy, used: k.used }, "calibration (stored)");
    const kinds = calibration.kinds.filter((k) => k.used && candidates.includes(k.kind)).map((k) => k.kind);
    if (!kinds.length) throw new StartupError(`no task kind reaches --validator.min_full_accuracy ${cfg.validator.min_full_accuracy} with the full cache on ${plan.workerModel}`, "lower --validator.min_full_accuracy or use a stronger target model", "validator.min_full_accuracy");
    const full = new Map(calibration.kinds.map((k) => [k.kind, k.accuracy]));
    const useExistence = (calibration.existence ?? 0) >= cfg.validator.min_full_existence;
    if (!useExistence) log.warn({ fullExistence: calibration.existence, min: cfg.validator.min_full_existence }, `the existence check is OFF: ${plan.workerModel} fails it even with the full cache, so it would zero every miner alike`);

    const batcher = new Batcher<EvaluateItemInput, ItemResult>({
      maxBatch: cfg.validator.eval_batch,
      maxWaitMs: 250,
      maxPending: cfg.validator.query_concurrency * 4 + cfg.validator.eval_batch,
      run: (items) => evaluateContainers(pool, items, { maxItemsPerRequest: cfg.validator.eval_batch }),
    });
    cleanup.push("evaluation batcher", () => batcher.close());
    const queryDeps: QueryDeps = {
      state,
      dendrite,
      tiers: plan.tiers.tiers,
      secret,
      challenge: (p) => requestChallenge(pool, { ...p, ...(corpus ?? {}) }),
      evaluate: (item) => batcher.add(item),
      model,
      download: { dispatcher: agent, dir, policy },
      kinds,
      fullAccuracy: (k) => full.get(k) ?? null,
      questions: cfg.validator.questions,
      ...(cfg.validator.download_timeout_s !== undefined ? { downloadTimeoutMs: cfg.validator.download_timeout_s * 1000 } : {}),
      targetModel: (t) => plan.targets.get(t)!,
      templateModel,
      score: { ...DEFAULT_CHALLENGE_SCORE_CONFIG, useExistence },
      log: log.child({ part: "query" }),
    };
    const periodMs = (cfg.validator.period_s ?? plan.tiers.scoring_period_s) * 1000;
    const periodDeps = {
      state,
      chain: neuron.chain,
      netuid: cfg.netuid,
      hotkey: neuron.hotkey.address,
      tiers: plan.tiers,
      periodMs,
      secret,
      dialPolicy: { allowPrivate: cfg.validator.allow_private },
      queryMetadata: async (target: { ip: string; port: number; hotkey: string }) => {
        const r = await dendrite.call(target, Metadata.create({} as never), { timeoutS: 10 });
        return r.dendrite.status_code === 200 ? (r as unknown as { metadata: unknown }).metadata : null;
      },
      runQuery: (c: Parameters<typeof runQuery>[1], index: number, at: number) => runQuery(queryDeps, c, index, at),
      concurrency: cfg.validator.query_concurrency,
      maxQueriesPerContender: cfg.validator.max_queries_per_contender,
      log: log.child({ part: "period" }),
      // The organic API (maybe another process) routes to this period's contenders at these addresses.
      onContenders: (periodId: number, cs: ReadonlyArray<{ hotkey: string; ip: string; port: number }>) => state.setMeta(`axons:${periodId}`, Object.fromEntries(cs.map((c) => [c.hotkey, { ip: c.ip, port: c.port }]))),
    };
    const signer = neuron.hotkey.toKeyringPair();
    const weightsDeps = { state, chain: neuron.chain, signer, hotkey: neuron.hotkey.address, netuid: cfg.netuid, tiers: plan.tiers.tiers, weights: { ...DEFAULT_WEIGHTS_CONFIG, topFraction: cfg.validator.top_fraction }, log: log.child({ part: "weights" }) };

    const finishPeriod = async (p: PeriodOutcome): Promise<WeightsOutcome | null> => {
      if (!p.closed) return null;
      const w = await setPeriodWeights(weightsDeps, p.periodId);
      await revealPendingCommits(weightsDeps).catch((e: unknown) => log.warn({ err: String(e) }, "reveal failed; retried next period"));
      deps.onPeriod?.(p, w);
      return w;
    };
    // Periods a previous run left open and whose time is over: close them (their results stand) and weigh.
    for (const p of state.openPeriods())
      if (p.endsAt <= Date.now() && state.closePeriod(p.id)) await finishPeriod({ periodId: p.id, contenders: state.contenders(p.id).length, queries: 0, alreadyDone: 0, failedToRun: 0, closed: true });

    const runPeriodOnce = async (signal: AbortSignal = new AbortController().signal, periodId?: number) => {
      const period = await runPeriod(periodDeps, periodId ?? periodAt(Date.now(), periodMs).id, signal);
      return { period, weights: await finishPeriod(period) };
    };

    let organicPort: number | null = null;
    if (cfg.validator.organic.port !== undefined) {
      const org = await startOrganic(cfg, { state, dendrite, tiers: plan.tiers, neuron, pool, scoring: { hotkey: neuron.hotkey.address, templateModel, score: queryDeps.score! } });
      cleanup.push("organic API", () => org.close());
      organicPort = org.port;
    }
    let opsPort: number | null = null;
    if (cfg.validator.metrics_port !== undefined) {
      const ops = await startOpsApp({ registry: neuron.registry, health: () => healthOf(pool.workers()), host: cfg.axon.ip === "0.0.0.0" ? "127.0.0.1" : cfg.axon.ip, port: cfg.validator.metrics_port });
      cleanup.push("operations app", () => ops.close());
      opsPort = ops.port;
    }

    if (!deps.manual) {
      const stop = new AbortController();
      const loop = (async () => {
        while (!stop.signal.aborted) {
          try {
            await runPeriodOnce(stop.signal);
          } catch (e) {
            log.error({ err: String(e) }, "period failed; retrying in 10 s");
            await new Promise((r) => setTimeout(r, 10_000).unref());
          }
        }
      })();
      // Stopped first: the loop leaves an unfinished period open for the next start to finish.
      cleanup.push("period loop", async () => {
        stop.abort();
        await loop;
      });
    }
    log.info({ uid: neuron.uid, hotkey: neuron.hotkey.address, tiers: [...plan.targets.keys()], kinds, periodS: periodMs / 1000, organicPort, opsPort, state: cfg.validator.state_path }, "validator ready");
    return { neuron, state, pool, tiers: plan.tiers, calibration, organicPort, opsPort, runPeriodOnce, stop: () => neuron.stop() };
  } catch (e) {
    await neuron.stop();
    throw e;
  }
}

/** Task kinds tried at calibration when --validator.challenge_kinds names none. */
export const DEFAULT_CHALLENGE_KINDS: string[] = [...PROCEDURAL_KINDS];

/** The organic API over the validator's state: contenders of the latest period with their scores. */
export async function startOrganic(
  cfg: ValidatorConfig,
  d: {
    state: ValidatorState;
    dendrite: Dendrite;
    tiers: TierTable;
    neuron: Pick<Neuron, "registry" | "log">;
    /** Workers in this process: sampled results are then quality-scored too (organic QA); without, verified only. */
    pool?: NeuronPool;
    /** What quality scoring needs from the validator (with `pool`). */
    scoring?: { hotkey: string; templateModel: (tier: string) => string; score: ChallengeScoreConfig };
  },
): Promise<{ port: number; close: () => Promise<void>; drain: () => Promise<void> }> {
  const keys = new ApiKeyStore(d.state.db);
  const candidates = (tier: string): OrganicCandidate[] => {
    const latest = d.state.db.prepare("SELECT MAX(period_id) AS id FROM contenders").get() as { id: number | null };
    if (latest.id === null) return [];
    const scores = new Map(d.state.scores(tier).map((s) => [s.hotkey, s.ema]));
    const axons = d.state.meta<Record<string, { ip: string; port: number }>>(`axons:${latest.id}`) ?? {};
    return d.state
      .contenders(latest.id)
      .filter((c) => c.tier === tier && axons[c.hotkey])
      .map((c) => ({ uid: c.uid, hotkey: c.hotkey, ip: axons[c.hotkey]!.ip, port: axons[c.hotkey]!.port, score: scores.get(c.hotkey) ?? 0, capacityLeft: Math.max(0, c.capacity - c.total) }));
  };
  // Sampled organic containers are verified exactly like synthetic ones (URL policy, capped download, header,
  // binding to the client's context and the miner's signature).
  const policy = { ...DEFAULT_URL_POLICY, allowPrivate: cfg.validator.allow_private_downloads ?? cfg.validator.allow_private };
  const agent = createGuardedAgent({ policy, connections: cfg.validator.download_concurrency });
  const dir = createPrivateDir("condense-organic-");
  const verify: OrganicVerify = async (c, req, o) => {
    const model = d.state.meta<ModelShape>("model_shape");
    const tier = d.tiers.tiers[req.tier];
    if (!model || !tier) return { refusal: null, file: null, header: null };
    let file: string | null = null;
    try {
      const dl = await downloadToFile(o.url, { dispatcher: agent, dir, maxBytes: maxContainerBytes({ model, maxKeptTokens: tier.max_condensed_tokens, allowedDtypes: DEFAULT_ALLOWED_DTYPES }), deadline: Date.now() + (cfg.validator.download_timeout_s ?? tier.timeout_s) * 1000, policy });
      file = dl.path;
      const header = await checkContainer(dl.path, { targetModel: canonicalModel(d.tiers, req.targetModel), model, minKeptTokens: tier.min_condensed_tokens, maxKeptTokens: tier.max_condensed_tokens, contextSha256: contextSha256(req.context), minerHotkey: c.hotkey });
      // The caller owns (and removes) the file from here.
      const kept = { refusal: null, file, header };
      file = null;
      return kept;
    } catch (e) {
      if (isVerifyError(e)) return { refusal: e.code, file: null, header: null };
      throw e;
    } finally {
      if (file) rmSync(file, { force: true });
    }
  };
  // Quality scoring of sampled results needs workers in this process; `condense validator organic` has none.
  const metrics = new OrganicScoringMetrics(d.neuron.registry, Object.keys(d.tiers.tiers));
  const scoringOn = d.pool !== undefined && d.scoring !== undefined && cfg.validator.organic.max_scoring > 0;
  if (!scoringOn && cfg.validator.organic.verify_share > 0)
    d.neuron.log.info({ verifyShare: cfg.validator.organic.verify_share, maxScoring: cfg.validator.organic.max_scoring }, d.pool ? "organic samples are verified only: --validator.organic.max_scoring is 0" : "organic samples are verified only: no workers in this process (quality scoring runs where the validator's workers are)");
  const queue = new ScoringQueue({ maxInFlight: Math.max(1, cfg.validator.organic.max_scoring), maxQueued: cfg.validator.organic.scoring_queue });
  const stopping = new AbortController();
  const recording = new Set<Promise<void>>();
  const scorer: OrganicScorer | null = scoringOn
    ? {
        queue,
        metrics,
        deps: { pool: d.pool!, secret: d.state.secret(), dir, hotkey: d.scoring!.hotkey, questions: cfg.validator.questions, generator: cfg.validator.generator_model ?? "", score: d.scoring!.score, log: d.neuron.log },
        templateModel: d.scoring!.templateModel,
        tiers: d.tiers,
        signal: stopping.signal,
      }
    : null;
  const router = new OrganicRouter({
    candidates: (tier) => candidates(tier),
    forward: dendriteForward(d.dendrite, { timeoutMs: (tier) => (d.tiers.tiers[tier]?.timeout_s ?? 30) * 1000 }),
    verifyShare: cfg.validator.organic.verify_share,
    record: (c, req, outcome, sampled) => {
      const p = recordOrganic(d.state, c, req, outcome, sampled ? verify : null, sampled ? scorer : null, d.neuron.log).catch((e: unknown) => d.neuron.log.warn({ err: String(e), uid: c.uid }, "organic outcome not recorded"));
      recording.add(p);
      void p.finally(() => recording.delete(p));
    },
  });
  // Every outcome being recorded (verification included), then every scoring job: what `drain` waits for.
  const drain = async () => {
    while (recording.size) await Promise.allSettled([...recording]);
    await queue.drain();
  };
  const app = Fastify({ logger: false });
  await app.register(metricsPlugin, { registry: d.neuron.registry });
  await app.register(healthPlugin, { health: () => healthOf(d.pool?.workers() ?? []) });
  await app.register(organicPlugin, { keys, router, tiers: d.tiers.tiers, registry: d.neuron.registry, timeoutMs: cfg.validator.organic.timeout_s * 1000 });
  await app.listen({ host: cfg.validator.organic.host, port: cfg.validator.organic.port ?? 0 });
  const addr = app.server.address();
  return {
    port: addr && typeof addr === "object" ? addr.port : 0,
    drain,
    close: async () => {
      await app.close();
      // Scoring jobs still running are cancelled (their samples stay unrecorded: the period counts them not).
      stopping.abort();
      await drain();
      await agent.close();
      removePrivateDir(dir);
    },
  };
}

type OrganicVerify = (c: OrganicCandidate, req: OrganicRequest, o: OkOutcome) => Promise<{ refusal: RefusalCode | null; file: string | null; header: ContainerHeader | null }>;

interface OrganicScorer {
  queue: ScoringQueue;
  metrics: OrganicScoringMetrics;
  deps: OrganicScoreDeps;
  templateModel: (tier: string) => string;
  tiers: TierTable;
  signal: AbortSignal;
}

/**
 * An organic attempt feeds the same period counters as synthetic ones (a success consumes capacity, a 429 and a
 * failure count apart). A sampled success is verified; where this process has workers and a scoring slot (or a
 * queue place) is free, it is also quality-scored against organic QA (./organic/scoring.ts) and counts in the EMA
 * like a synthetic result; otherwise it counts toward reliability only (`scored: false`, the reason in `detail`).
 */
async function recordOrganic(
  state: ValidatorState,
  c: OrganicCandidate,
  req: OrganicRequest,
  o: ForwardOutcome,
  verify: OrganicVerify | null,
  scorer: OrganicScorer | null,
  log: Logger,
): Promise<void> {
  const sampled = verify !== null && o.kind === "ok";
  const v = sampled ? await verify(c, req, o as OkOutcome) : { refusal: null, file: null, header: null };
  let owned = v.file;
  try {
    const period = (state.db.prepare("SELECT MAX(period_id) AS id FROM contenders WHERE hotkey = ? AND tier = ?").get(c.hotkey, req.tier) as { id: number | null }).id;
    if (period === null || state.period(period)?.closedAt !== null) return;
    const id = `organic-${randomUUID()}`;
    const log1 = (kind: string, groundTruth: unknown, fullAccuracy: number | null) =>
      state.logChallenge({ id, periodId: period, hotkey: c.hotkey, tier: req.tier, uid: c.uid, origin: "organic", kind, seed: "", params: { sampled }, groundTruth, contextSha256: contextSha256(req.context), fullAccuracy, scheduledAt: Date.now() });
    if (v.refusal) {
      // A refused container counts as a synthetic refusal does: a failure, and a 0 in the quality EMA.
      log1("organic", null, null);
      state.recordResult({ challengeId: id, outcome: "refused", score: 0, refusalCode: v.refusal, detail: "organic, sampled", seconds: o.latencyMs / 1000 });
      log.info({ uid: c.uid, code: v.refusal }, "sampled organic container refused");
      return;
    }
    const tier = scorer?.tiers.tiers[req.tier];
    if (o.kind === "ok" && v.file && v.header && scorer && tier) {
      const file = v.file;
      const header = v.header;
      const ok = o;
      const offered = scorer.queue.offer(async () => {
        try {
          const s = await scoreOrganicSample(scorer.deps, {
            id, hotkey: c.hotkey, tier: req.tier, context: req.context, targetModel: canonicalModel(scorer.tiers, req.targetModel), templateModel: scorer.templateModel(req.tier),
            containerPath: file, keptTokens: header.meta.keptTokens, originalTokens: header.meta.originalTokens, accelerate: tier.accelerate_reward_scalar, maxCondensedTokens: tier.max_condensed_tokens,
            deadline: Date.now() + 600_000, signal: scorer.signal,
          });
          if (state.period(period)?.closedAt !== null) return;
          const truth = s.challenge ? { answers: s.challenge.questions.map((q) => q.answers), questions: s.challenge.questions.map((q) => q.question), chunks: s.challenge.chunks.map((x) => ({ text: x.text, in_context: x.inContext })) } : null;
          log1(s.challenge ? ORGANIC_QA_KIND : "organic", truth, s.fullAccuracy);
          if (s.scored) {
            state.recordResult({ challengeId: id, ...s.result, seconds: ok.latencyMs / 1000 }, scorer.deps.score.emaAlpha);
            if (s.result.outcome === "ok") scorer.metrics.scored.labels(scorer.metrics.tier(req.tier)).inc();
            log.info({ uid: c.uid, outcome: s.result.outcome, score: s.result.score, fullAccuracy: s.fullAccuracy }, "sampled organic result scored");
          } else {
            scorer.metrics.skipped.labels(scorer.metrics.tier(req.tier), s.reason).inc();
            state.recordResult({ challengeId: id, outcome: "ok", score: 0, scored: false, detail: s.detail, seconds: ok.latencyMs / 1000, keptTokens: header.meta.keptTokens, originalTokens: header.meta.originalTokens, ...(s.result?.decoded ? { decoded: s.result.decoded } : {}) });
            log.info({ uid: c.uid, reason: s.reason, detail: s.detail }, "sampled organic result verified, not quality-scored");
          }
        } catch (e) {
          if (scorer.signal.aborted) return;
          scorer.metrics.skipped.labels(scorer.metrics.tier(req.tier), "error").inc();
          log.warn({ err: String(e), uid: c.uid }, "organic scoring failed; the sample counts as verified only");
          if (state.period(period)?.closedAt !== null || state.challenge(id)) return;
          log1("organic", null, null);
          state.recordResult({ challengeId: id, outcome: "ok", score: 0, scored: false, detail: `organic scoring failed: ${String(e)}`, seconds: ok.latencyMs / 1000, keptTokens: header.meta.keptTokens, originalTokens: header.meta.originalTokens });
        } finally {
          rmSync(file, { force: true });
        }
      });
      if (offered) {
        owned = null; // the job removes it
        return;
      }
      scorer.metrics.skipped.labels(scorer.metrics.tier(req.tier), "busy").inc();
    }
    log1("organic", null, null);
    const outcome = o.kind === "ok" ? "ok" : o.kind === "rate_limited" ? "rate_limited" : "failed";
    const why = !sampled ? null : !scorer ? "organic, sampled: verified only (no workers in this process)" : "organic, sampled: verified only (over --validator.organic.max_scoring and its queue)";
    state.recordResult({ challengeId: id, outcome, score: 0, scored: false, refusalCode: o.kind === "ok" ? null : o.kind, detail: o.kind === "ok" ? why : o.message, seconds: o.latencyMs / 1000, ...(o.kind === "ok" ? { keptTokens: o.keptTokens, originalTokens: o.originalTokens } : {}) });
  } finally {
    if (owned) rmSync(owned, { force: true });
  }
}

/** A stored calibration table (JSON, as `calibrate` returns it) for the worker model. */
function readCalibrationFile(file: string, model: string): CalibrationTable {
  let t: CalibrationTable;
  try {
    t = JSON.parse(readFileSync(file, "utf8")) as CalibrationTable;
  } catch (e) {
    throw new ConfigError([{ key: "validator.calibration_file", message: `cannot read it: ${(e as Error).message}`, value: file }]);
  }
  if (!Array.isArray(t.kinds) || typeof t.existence !== "number" || t.kinds.some((k) => typeof k.kind !== "string" || typeof k.accuracy !== "number" || typeof k.used !== "boolean"))
    throw new ConfigError([{ key: "validator.calibration_file", message: "not a calibration table ({model, kinds: [{kind, accuracy, questions, used}], existence})", value: file }]);
  if (t.model !== model) throw new ConfigError([{ key: "validator.calibration_file", message: `the table is for ${t.model}, the workers run ${model}`, value: file }]);
  return t;
}

