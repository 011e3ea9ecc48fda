// Starts the neuron's local worker pool from the shared worker options, and checks that the workers
// announce what the neuron will ask of them (e.g. "compress:knorm") before it serves anyone.
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import { WorkerStartError } from "../workers/errors.js";
import { WORKER_KEY_ENV, WorkerPool, type PoolOptions, type WorkerInfo } from "../workers/index.js";
import { StartupError } from "./errors.js";
import type { NeuronWorkerConfig } from "./options.js";

/** What a neuron needs of a pool: requests, the workers' state (health, capabilities) and close. */
export type NeuronPool = Pick<WorkerPool, "request" | "close"> & { workers(): ReadonlyArray<WorkerInfo> };

export type StartPool = (opts: PoolOptions) => Promise<NeuronPool>;

/** Pool options for `model` from the shared worker options; `threads` is the pool's (unset: its share of the cores). */
export function poolOptionsFor(cfg: NeuronWorkerConfig, model: string): Pick<PoolOptions, "workers" | "threads" | "tcpEndpoint"> {
  return {
    workers: [{ model, device: cfg.device, count: cfg.workers }],
    ...(cfg.threads !== undefined ? { threads: cfg.threads } : {}),
    ...(cfg.worker_endpoint !== undefined ? { tcpEndpoint: cfg.worker_endpoint } : {}),
  };
}

export async function startWorkers(
  cfg: NeuronWorkerConfig,
  model: string,
  opts: { log: Logger; registry: Registry; startPool?: StartPool },
): Promise<NeuronPool> {
  opts.log.info({ model, workers: cfg.workers, device: cfg.device, threads: cfg.threads ?? "the pool's share of the cores", ...(cfg.worker_endpoint ? { remote: cfg.worker_endpoint } : {}) }, "starting workers");
  if (cfg.worker_endpoint && !process.env[WORKER_KEY_ENV])
    throw new StartupError(`--worker_endpoint ${cfg.worker_endpoint} needs the key remote workers present`, `set ${WORKER_KEY_ENV} (16+ characters; an EnvironmentFile, never a flag) to the key given to the workers' --key-file`, "worker_endpoint");
  try {
    return await (opts.startPool ?? ((o) => WorkerPool.start(o)))({ ...poolOptionsFor(cfg, model), logger: opts.log.child({ part: "pool" }), registry: opts.registry });
  } catch (e) {
    if (e instanceof WorkerStartError)
      throw new StartupError(e.message, "check --model, --device and the worker environment (.venv); the worker's last lines are above", "model", { cause: e });
    throw e;
  }
}

/** Capabilities every ready worker announces (Hello). */
export function announcedCapabilities(workers: ReadonlyArray<WorkerInfo>): Set<string> {
  const ready = workers.filter((w) => w.state === "ready" && w.hello);
  const out = new Set<string>(ready[0]?.hello?.capabilities ?? []);
  for (const w of ready.slice(1)) for (const c of out) if (!w.hello!.capabilities.includes(c)) out.delete(c);
  return out;
}

/** Throws a StartupError unless `capability` is among what the workers announce. */
export function requireCapability(have: ReadonlySet<string>, capability: string, key: string, fix: string): void {
  if (!have.has(capability)) {
    const list = [...have].filter((c) => c.startsWith(capability.split(":")[0]! + ":")).join(", ") || [...have].join(", ") || "none";
    throw new StartupError(`the workers do not announce ${capability} (they announce: ${list})`, fix, key);
  }
}
