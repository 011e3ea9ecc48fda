// The start-up both roles share: logger, hotkey (wallet or injected), the published address (an IP,
// resolved once), chain (connect or injected), the registration check, a cleanup stack and periodic tasks.
// A role (miner, validator) starts a Neuron, adds what it opens to `cleanup`, and stops it once.
import type { Logger } from "pino";
import { pino } from "pino";
import { Registry } from "prom-client";
import type { Chain } from "../chain/types.js";
import { externalAddress, logLevel, type BittensorConfig } from "../config/schema.js";
import type { Keypair } from "../wallet/keypair.js";
import { isUnpublishable, resolveExternalIp, type Lookup } from "./address.js";
import { connectChain, requireRegistered, type ChainConnectOptions } from "./chain.js";
import { CleanupStack } from "./cleanup.js";
import { StartupError } from "./errors.js";
import { loadHotkey } from "./identity.js";
import { every, type PeriodicTask } from "./periodic.js";

/** What callers (tests, localnet, benchmarks) may provide instead of what the config would build. */
export interface NeuronDeps {
  chain?: Chain;
  hotkey?: Keypair;
  logger?: Logger;
  /** DNS lookup for a host-name external_ip (tests). */
  lookup?: Lookup;
  chainConnect?: ChainConnectOptions;
}

export interface Neuron {
  readonly log: Logger;
  readonly hotkey: Keypair;
  readonly chain: Chain;
  readonly uid: number;
  /** The address published on chain: always an IP. */
  readonly external: { ip: string; port: number | undefined };
  /** One registry for the role's, the axon's and the pool's metrics (served by the operations app). */
  readonly registry: Registry;
  readonly cleanup: CleanupStack;
  /** Starts a periodic task, stopped with the neuron. */
  every(name: string, intervalMs: number, task: () => Promise<void>): PeriodicTask;
  stop(): Promise<void>;
}

/**
 * Runs the shared start-up. `beforeChain` runs after the address is known and before the chain connects
 * (cheap checks first). On failure everything opened so far is closed and the error is rethrown.
 */
export async function startNeuron(cfg: BittensorConfig, deps: NeuronDeps = {}): Promise<Neuron> {
  const log = deps.logger ?? pino({ level: logLevel(cfg.logging) });
  const cleanup = new CleanupStack(log);
  try {
    // The address first: it is cheap, and a bad one must fail before keys, chain or workers load.
    const ext = externalAddress(cfg.axon);
    const ip = await resolveExternalIp(ext.ip, deps.lookup ? { lookup: deps.lookup } : {});
    if (ip !== ext.ip) log.info({ host: ext.ip, ip }, "axon.external_ip resolved");
    if ((cfg.subtensor.network === "finney" || cfg.subtensor.network === "test") && isUnpublishable(ip))
      throw new StartupError(`the chain does not accept ${ip}${ip !== ext.ip ? ` (from ${ext.ip})` : ""}`, "set the address validators reach this machine at", "axon.external_ip");

    const hotkey = await loadHotkey(cfg.wallet, deps.hotkey);
    let chain = deps.chain;
    if (!chain) {
      const c = await connectChain(cfg.subtensor, log.child({ part: "chain" }), deps.chainConnect);
      cleanup.push("chain", () => c.close());
      chain = c;
    }
    const uid = await requireRegistered(chain, cfg.netuid, hotkey.address, cfg.wallet);
    const registry = new Registry();
    const tasks: PeriodicTask[] = [];
    cleanup.push("periodic tasks", () => tasks.forEach((t) => t.stop()));
    return {
      log,
      hotkey,
      chain,
      uid,
      external: { ip, port: cfg.axon.external_port },
      registry,
      cleanup,
      every(name, intervalMs, task) {
        const t = every(name, intervalMs, task, log);
        tasks.push(t);
        return t;
      },
      stop: () => cleanup.run(),
    };
  } catch (e) {
    await cleanup.run();
    throw e;
  }
}
