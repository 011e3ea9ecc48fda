// `condense miner` assembled on the shared neuron start-up: config -> tiers and models -> neuron (address,
// hotkey, chain, registration) -> storage -> worker pool (its algorithm checked against what the workers
// announce) -> axon -> serve_axon on chain (skipped when unchanged) -> metagraph resync and sweep tasks ->
// the operations app (/metrics, /healthz).
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import { existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import { Axon } from "../axon/axon.js";
import { ChainError } from "../chain/errors.js";
import type { Chain } from "../chain/types.js";
import { ConfigError, type ConfigIssue } from "../config/resolve.js";
import { externalAddress } from "../config/schema.js";
import { signContainer } from "../container/signature.js";
import { asStartupError, healthOf, requireCapability, startNeuron, startOpsApp, startWorkers, StartupError, type Lookup, type StartPool } from "../neuron/index.js";
import { openStore } from "../storage/config.js";
import { startSweeper } from "../storage/sweeper.js";
import type { ObjectStore } from "../storage/types.js";
import { canonicalModel, loadTierTable, TierConfigError, type TierTable } from "../subnet/index.js";
import type { Keypair } from "../wallet/keypair.js";
import { WorkerPoolCompressor, type Compressor } from "./compressor.js";
import type { MinerConfig } from "./config.js";
import { PythonLegacyExporter, type LegacyExporter } from "./legacy.js";
import { MinerMetrics } from "./metrics.js";
import { ModelMapError, resolveServedModels, type ServedModel } from "./models.js";
import { attachMinerRoutes } from "./routes.js";
import { MinerService, type CompressResult } from "./service.js";

/** Algorithms that run a checkpoint given with --miner.checkpoint (a local directory). */
const NEEDS_CHECKPOINT: readonly string[] = ["soft_token", "activation_beacon", "kvzap", "kvzap_span"];

/** Things a caller (tests, localnet, benchmarks) may provide instead of what the config would build. */
export interface MinerDeps {
  chain?: Chain;
  hotkey?: Keypair;
  compressor?: Compressor;
  /** Starts the worker pool when no compressor is given (tests: a fake pool). */
  startPool?: StartPool;
  store?: ObjectStore;
  /** Replaces signing (tests whose fake compressor writes placeholder bytes, not containers). */
  signContainer?: (file: string) => Promise<void>;
  onCompressed?: (r: CompressResult) => void;
  /** Legacy .npy exporter (default: the worker package's, when --miner.legacy_npy). */
  legacy?: LegacyExporter;
  logger?: Logger;
  /** DNS lookup for a host-name --axon.external_ip (tests). */
  lookup?: Lookup;
  /** Clock for the budget periods (tests pin it so a period boundary cannot fall mid-test). */
  now?: () => number;
}

export interface RunningMiner {
  service: MinerService;
  axon: Axon;
  store: ObjectStore;
  chain: Chain;
  hotkey: Keypair;
  uid: number;
  /** The address published on chain (an IP; a host name is resolved once at start). */
  externalIp: string;
  /** The miner's private work folder (removed by stop()). */
  workDir: string;
  /** Port of the operations app (/metrics, /healthz), or null when --miner.metrics_port is unset. */
  metricsPort: number | null;
  /** Re-reads the metagraph now (also runs every --miner.sync_interval_s) and retries a rate-limited serve. */
  sync(): Promise<void>;
  /** Whether the chain holds this axon's endpoint (false while serve_axon is rate-limited). */
  readonly served: boolean;
  stop(): Promise<void>;
}

/** Cross-field checks the schema cannot make: tiers exist in the table, capacities name served tiers, models map. */
export function planMiner(cfg: MinerConfig): { tiers: TierTable; models: ServedModel[]; capacity: Record<string, number> } {
  let tiers: TierTable;
  try {
    tiers = loadTierTable(cfg.miner.tiers_file);
  } catch (e) {
    if (e instanceof TierConfigError) throw new ConfigError([{ key: "miner.tiers_file", message: e.message, ...(cfg.miner.tiers_file ? { value: cfg.miner.tiers_file } : {}) }]);
    throw e;
  }
  const known = Object.keys(tiers.tiers);
  const issues: ConfigIssue[] = [];
  for (const [i, t] of cfg.miner.tiers.entries())
    if (!known.includes(t)) issues.push({ key: `miner.tiers.${i}`, message: `unknown tier (known: ${known.join(", ")})`, value: t });
  for (const t of Object.keys(cfg.miner.capacity))
    if (!cfg.miner.tiers.includes(t)) issues.push({ key: "miner.capacity", message: `capacity for tier '${t}', which is not served`, value: t });
  // The chain refuses loopback and unspecified addresses; a public network needs the real one up front.
  const ext = externalAddress(cfg.axon);
  if ((cfg.subtensor.network === "finney" || cfg.subtensor.network === "test") && /^(127\.|0\.0\.0\.0$|::1?$|localhost$)/.test(ext.ip))
    issues.push({ key: "axon.external_ip", message: `the chain does not accept ${ext.ip}; set the address validators reach this machine at`, value: ext.ip });
  if (NEEDS_CHECKPOINT.includes(cfg.miner.algorithm) && !cfg.miner.checkpoint)
    issues.push({ key: "miner.checkpoint", message: `algorithm ${cfg.miner.algorithm} needs a checkpoint directory (--miner.checkpoint)` });
  if (cfg.miner.checkpoint && !NEEDS_CHECKPOINT.includes(cfg.miner.algorithm))
    issues.push({ key: "miner.checkpoint", message: `algorithm ${cfg.miner.algorithm} takes no checkpoint`, value: cfg.miner.checkpoint });
  const tierModels = cfg.miner.tiers.filter((t) => known.includes(t)).flatMap((t) => tiers.tiers[t]!.supporting_models);
  let models: ServedModel[] = [];
  try {
    models = resolveServedModels({
      // A target may be named by an alias (the subnet's Condense-AI id): the tiers list the canonical one.
      targets: cfg.miner.targets.map((t) => canonicalModel(tiers, t)),
      tierModels,
      ...(cfg.model ? { workerModel: cfg.model } : {}),
      allowStandIn: cfg.miner.allow_stand_in,
      network: cfg.subtensor.network,
    });
  } catch (e) {
    if (!(e instanceof ModelMapError)) throw e;
    issues.push({ key: e.key, message: e.detail });
  }
  if (issues.length) throw new ConfigError(issues);
  const capacity: Record<string, number> = {};
  for (const t of cfg.miner.tiers) capacity[t] = cfg.miner.capacity[t] ?? tiers.tiers[t]!.requests_per_epoch;
  return { tiers, models, capacity };
}

/** A local checkpoint must be a directory that exists (`random:` specs are the worker's test condensers). */
async function checkCheckpoint(checkpoint: string): Promise<void> {
  if (checkpoint.startsWith("random:")) return;
  const s = await stat(checkpoint).catch(() => null);
  if (!s?.isDirectory()) throw new StartupError(`checkpoint ${JSON.stringify(checkpoint)} is not a directory`, "give a local checkpoint directory", "miner.checkpoint");
}

/** The private work folder: 0700, a name nobody can predict, made fresh (never an existing folder reused). */
async function makeWorkDir(base: string | undefined): Promise<string> {
  const parent = base ?? (existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir());
  try {
    if (base) await mkdir(base, { recursive: true, mode: 0o700 });
    return await mkdtemp(path.join(parent, "condense-miner-"));
  } catch (e) {
    throw new StartupError(`cannot make a work folder in ${parent} (${(e as NodeJS.ErrnoException).code ?? String(e)})`, "point --miner.work_dir at a writable (tmpfs) folder", "miner.work_dir", { cause: e });
  }
}

export async function startMiner(cfg: MinerConfig, deps: MinerDeps = {}): Promise<RunningMiner> {
  const plan = planMiner(cfg);
  if (cfg.miner.checkpoint) await checkCheckpoint(cfg.miner.checkpoint);
  const neuron = await startNeuron(cfg, {
    ...(deps.chain ? { chain: deps.chain } : {}),
    ...(deps.hotkey ? { hotkey: deps.hotkey } : {}),
    ...(deps.logger ? { logger: deps.logger } : {}),
    ...(deps.lookup ? { lookup: deps.lookup } : {}),
  });
  const { log, hotkey, chain, uid, registry, cleanup } = neuron;
  try {
    for (const m of plan.models)
      if (m.standIn) log.warn({ target: m.target, model: m.workerModel }, `STAND-IN: serving target ${m.target} with worker model ${m.workerModel} (tests/localnet only)`);
    const workDir = await makeWorkDir(cfg.miner.work_dir);
    cleanup.push("work folder", () => rm(workDir, { recursive: true, force: true }));

    let store = deps.store;
    if (!store) {
      try {
        store = await openStore(cfg.storage, neuron.external.ip);
      } catch (e) {
        throw asStartupError(e, "check the --storage.* settings and that the storage endpoint is reachable", "storage");
      }
      const s = store;
      cleanup.push("storage", () => s.close());
    }

    let compressor = deps.compressor;
    if (!compressor) {
      const pool = await startWorkers(cfg, plan.models[0]!.workerModel, { log, registry, ...(deps.startPool ? { startPool: deps.startPool } : {}) });
      cleanup.push("worker pool", () => pool.close());
      compressor = new WorkerPoolCompressor(pool);
    }
    // The algorithm is checked against what the workers say they run, before anyone is served.
    const caps = compressor.capabilities?.();
    if (caps) requireCapability(caps, `compress:${cfg.miner.algorithm}`, "miner.algorithm", "pick an algorithm the workers run (GPU-only ones need --device cuda)");

    const service = new MinerService({
      tiers: plan.tiers,
      servedTiers: cfg.miner.tiers,
      capacity: plan.capacity,
      models: plan.models,
      algorithm: cfg.miner.algorithm,
      ratio: cfg.miner.ratio,
      hotkey: hotkey.address,
      compressor,
      store,
      signContainer: deps.signContainer ?? (async (file) => void (await signContainer(file, hotkey))),
      workDir,
      ...(cfg.miner.checkpoint ? { checkpoint: cfg.miner.checkpoint } : {}),
      callers: { minStake: cfg.miner.min_stake, requirePermit: cfg.miner.require_permit, whitelist: cfg.miner.whitelist },
      budgetFloor: cfg.miner.budget_floor,
      logger: log.child({ part: "miner" }),
      metrics: new MinerMetrics(registry, Object.keys(plan.tiers.tiers)),
      ...(deps.onCompressed ? { onCompressed: deps.onCompressed } : {}),
      ...(deps.now ? { now: deps.now } : {}),
      ...(cfg.miner.legacy_npy ? { legacy: deps.legacy ?? new PythonLegacyExporter() } : {}),
    });
    const sync = async () => service.updateMetagraph(await chain.metagraph(cfg.netuid));
    await sync();

    // Requests past this wait for a slot in stake order (the priority hook), then queue in the pool.
    const maxConcurrentForwards = cfg.miner.max_concurrent ?? 2 * cfg.workers;
    const axon = new Axon({
      wallet: hotkey,
      port: cfg.axon.port,
      ip: cfg.axon.ip,
      externalIp: neuron.external.ip,
      externalPort: externalAddress(cfg.axon).port,
      maxConcurrentForwards,
      // Every route (the ping and Metadata too) answers only hotkeys registered on the subnet.
      blacklist: (info) => (service.registered(info.hotkey ?? "") ? { blocked: false } : { blocked: true, reason: "unknown_hotkey: not registered on this subnet" }),
      logger: log.child({ part: "axon" }),
    });
    attachMinerRoutes(axon, service);
    const bound = await axon.start();
    cleanup.push("axon", () => axon.stop());
    const published = { ip: neuron.external.ip, port: cfg.axon.external_port ?? bound.port };
    // A restart on a new endpoint within ServingRateLimit blocks of the last serve is refused by the chain;
    // the miner keeps running and retries at each sync instead of failing to start.
    let served = false;
    // A @polkadot/keyring pair: @polkadot/api's signAndSend signs extrinsics with it (typed signature).
    const chainSigner = hotkey.toKeyringPair();
    const serve = async () => {
      try {
        const tx = await chain.serveAxon(chainSigner, { netuid: cfg.netuid, ip: published.ip, port: published.port, protocol: 4 });
        served = true;
        log.info({ uid, ...published, extrinsic: tx ? `included in block ${tx.block}` : "skipped (chain already has this endpoint)" }, "axon served");
      } catch (e) {
        if (!(e instanceof ChainError && e.code === "ServingRateLimitExceeded")) throw e;
        log.warn({ uid, ...published, err: e.message }, "serve_axon rate-limited; will retry at the next sync");
      }
    };
    await serve();

    const resync = async () => {
      await sync();
      if (!served) await serve();
    };
    const syncTask = neuron.every("metagraph sync", cfg.miner.sync_interval_s * 1000, resync);
    if (cfg.storage.sweep_interval_s > 0) {
      const stopSweep = startSweeper(store, {
        intervalMs: cfg.storage.sweep_interval_s * 1000,
        maxAgeMs: cfg.storage.max_age_s * 1000,
        onSwept: (n) => n && log.info({ deleted: n }, "storage sweep"),
        onError: (e) => log.warn({ err: String(e) }, "storage sweep failed"),
      });
      cleanup.push("storage sweep", stopSweep);
    }
    let metricsPort: number | null = null;
    if (cfg.miner.metrics_port !== undefined) {
      const c = compressor;
      const ops = await startOpsApp({ host: cfg.axon.ip, port: cfg.miner.metrics_port, registry, ...(c.workers ? { health: () => healthOf(c.workers!()) } : {}) });
      cleanup.push("operations app", () => ops.close());
      metricsPort = ops.port;
    }
    log.info({ uid, hotkey: hotkey.address, tiers: cfg.miner.tiers, storage: store.kind, port: bound.port, metricsPort }, "miner ready");
    return {
      service,
      axon,
      store,
      chain,
      hotkey,
      uid,
      externalIp: neuron.external.ip,
      workDir,
      metricsPort,
      sync: () => syncTask.runNow(),
      get served() {
        return served;
      },
      stop: () => neuron.stop(),
    };
  } catch (e) {
    await neuron.stop();
    throw e;
  }
}
