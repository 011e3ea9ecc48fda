// `condense miner` assembled: config -> tiers and models -> wallet -> chain (registered?) -> storage ->
// worker pool -> axon -> serve_axon on chain (skipped when unchanged) -> metagraph resync and sweep timers.
import type { Logger } from "pino";
import { Registry } from "prom-client";
import { pino } from "pino";
import { Axon } from "../axon/axon.js";
import { ChainError } from "../chain/errors.js";
import type { Chain } from "../chain/types.js";
import { ConfigError, type ConfigIssue } from "../config/resolve.js";
import { chainEndpoint, externalAddress, logLevel } from "../config/schema.js";
import { signContainer } from "../container/signature.js";
import { openStore } from "../storage/config.js";
import { startSweeper } from "../storage/sweeper.js";
import type { ObjectStore } from "../storage/types.js";
import { loadTierTable, TierConfigError, type TierTable } from "../tiers/index.js";
import type { Keypair } from "../wallet/keypair.js";
import { Wallet } from "../wallet/wallet.js";
import { WorkerPool } from "../workers/index.js";
import { WorkerPoolCompressor, type Compressor } from "./compressor.js";
import type { MinerConfig } from "./config.js";
import { PythonLegacyExporter, type LegacyExporter } from "./legacy.js";
import { ModelMapError, resolveServedModels, type ServedModel } from "./models.js";
import { attachMinerRoutes } from "./routes.js";
import { MinerMetrics } from "./metrics.js";
import { startMetricsServer } from "./metrics-server.js";
import { MinerService, type CompressResult } from "./service.js";

export class MinerStartError extends Error {
  override readonly name = "MinerStartError";
}

/** Things a caller (tests, localnet, benchmarks) may provide instead of what the config would build. */
export interface MinerDeps {
  chain?: Chain;
  hotkey?: Keypair;
  compressor?: Compressor;
  store?: ObjectStore;
  /** Replaces signing (tests whose fake compressor writes placeholder bytes, not containers). */
  signContainer?: (file: string) => Promise<void>;
  onCompressed?: (r: CompressResult) => void;
  /** Legacy .npy exporter (default: the worker package's, when --miner.legacy_npy). */
  legacy?: LegacyExporter;
  logger?: Logger;
}

export interface RunningMiner {
  service: MinerService;
  axon: Axon;
  store: ObjectStore;
  chain: Chain;
  hotkey: Keypair;
  uid: number;
  /** Port of the /metrics server, or null when --miner.metrics_port is unset. */
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
  const tierModels = cfg.miner.tiers.filter((t) => known.includes(t)).flatMap((t) => tiers.tiers[t]!.supporting_models);
  let models: ServedModel[] = [];
  try {
    models = resolveServedModels({
      targets: cfg.miner.targets,
      tierModels,
      ...(cfg.model ? { workerModel: cfg.model } : {}),
      allowStandIn: cfg.miner.allow_stand_in,
      network: cfg.subtensor.network,
    });
  } catch (e) {
    if (!(e instanceof ModelMapError)) throw e;
    issues.push({ key: e.message.split(":")[0]!, message: e.message.slice(e.message.indexOf(":") + 2) });
  }
  if (issues.length) throw new ConfigError(issues);
  const capacity: Record<string, number> = {};
  for (const t of cfg.miner.tiers) capacity[t] = cfg.miner.capacity[t] ?? tiers.tiers[t]!.requests_per_epoch;
  return { tiers, models, capacity };
}

export async function startMiner(cfg: MinerConfig, deps: MinerDeps = {}): Promise<RunningMiner> {
  const log = deps.logger ?? pino({ level: logLevel(cfg.logging) });
  const plan = planMiner(cfg);
  for (const m of plan.models)
    if (m.standIn) log.warn({ target: m.target, model: m.workerModel }, `STAND-IN: serving target ${m.target} with worker model ${m.workerModel} (tests/localnet only)`);

  const hotkey = deps.hotkey ?? (await new Wallet({ name: cfg.wallet.name, hotkey: cfg.wallet.hotkey, path: cfg.wallet.path }).hotkey()).keypair;
  const cleanups: Array<() => Promise<void> | void> = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch((e: unknown) => log.warn({ err: String(e) }, "cleanup failed"));
  };
  try {
    let chain = deps.chain;
    if (!chain) {
      const endpoint = chainEndpoint(cfg.subtensor);
      if (endpoint === null) throw new MinerStartError("subtensor.network dev is the in-memory devnet: run the miner inside `condense localnet`, or name a chain endpoint");
      const { SubtensorChain } = await import("../chain/subtensor.js");
      const c = await SubtensorChain.connect({ endpoint });
      cleanups.push(() => c.close());
      chain = c;
    }
    const uid = await chain.uidOf(cfg.netuid, hotkey.address);
    if (uid === null)
      throw new MinerStartError(`hotkey ${hotkey.address} (wallet ${cfg.wallet.name}/${cfg.wallet.hotkey}) is not registered on netuid ${cfg.netuid}; register it first (btcli subnet register)`);

    const ext = externalAddress(cfg.axon);
    const store = deps.store ?? (await openStore(cfg.storage, ext.ip));
    if (!deps.store) cleanups.push(() => store.close());

    const registry = new Registry();
    let compressor = deps.compressor;
    if (!compressor) {
      const workerModel = plan.models[0]!.workerModel;
      log.info({ model: workerModel, workers: cfg.workers, device: cfg.device }, "starting compression workers");
      const pool = await WorkerPool.start({ workers: [{ model: workerModel, device: cfg.device, count: cfg.workers }], logger: log.child({ part: "pool" }), registry });
      cleanups.push(() => pool.close());
      compressor = new WorkerPoolCompressor(pool);
    }

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
      workDir: cfg.miner.work_dir,
      callers: { minStake: cfg.miner.min_stake, requirePermit: cfg.miner.require_permit, whitelist: cfg.miner.whitelist },
      budgetFloor: cfg.miner.budget_floor,
      logger: log.child({ part: "miner" }),
      metrics: new MinerMetrics(registry),
      ...(deps.onCompressed ? { onCompressed: deps.onCompressed } : {}),
      ...(cfg.miner.legacy_npy ? { legacy: deps.legacy ?? new PythonLegacyExporter() } : {}),
    });
    const sync = async () => service.updateMetagraph(await chain.metagraph(cfg.netuid));
    await sync();

    // Requests past this wait for a slot in stake order (the priority hook), then queue in the pool.
    const maxConcurrentForwards = cfg.miner.max_concurrent ?? 2 * cfg.workers;
    const axon = new Axon({ wallet: hotkey, port: cfg.axon.port, ip: cfg.axon.ip, externalIp: ext.ip, externalPort: ext.port, maxConcurrentForwards, logger: log.child({ part: "axon" }) });
    attachMinerRoutes(axon, service);
    const bound = await axon.start();
    cleanups.push(() => axon.stop());
    const published = { ip: ext.ip, port: cfg.axon.external_port ?? bound.port };
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
    const timer = setInterval(() => void resync().catch((e: unknown) => log.warn({ err: String(e) }, "metagraph sync failed; keeping the last one")), cfg.miner.sync_interval_s * 1000);
    timer.unref();
    cleanups.push(() => clearInterval(timer));
    if (cfg.storage.sweep_interval_s > 0) {
      const stopSweep = startSweeper(store, {
        intervalMs: cfg.storage.sweep_interval_s * 1000,
        maxAgeMs: cfg.storage.max_age_s * 1000,
        onSwept: (n) => n && log.info({ deleted: n }, "storage sweep"),
        onError: (e) => log.warn({ err: String(e) }, "storage sweep failed"),
      });
      cleanups.push(stopSweep);
    }
    let metricsPort: number | null = null;
    if (cfg.miner.metrics_port !== undefined) {
      const m = await startMetricsServer(registry, cfg.axon.ip, cfg.miner.metrics_port);
      cleanups.push(() => m.close());
      metricsPort = m.port;
    }
    log.info({ uid, hotkey: hotkey.address, tiers: cfg.miner.tiers, storage: store.kind, port: bound.port, metricsPort }, "miner ready");
    return {
      service,
      axon,
      store,
      chain,
      hotkey,
      uid,
      metricsPort,
      sync: resync,
      get served() {
        return served;
      },
      stop: cleanup,
    };
  } catch (e) {
    await cleanup();
    throw e;
  }
}
