// The miner's view of the compute side: one call that turns a context into a container file.
// WorkerPoolCompressor adapts the worker pool (ts/workers); tests may substitute their own.
import { announcedCapabilities } from "../neuron/workers.js";
import type { WorkerInfo, WorkerPool } from "../workers/index.js";

export interface CompressJob {
  context: string;
  /** Target model id recorded in the container (the validator checks it). */
  targetModel: string;
  algorithm: string;
  ratio: number;
  minTokens: number;
  maxTokens: number;
  /** Where the worker writes the container (tmpfs). */
  outputPath: string;
  minerHotkey: string;
  /** When set, the worker also writes the legacy float32 .npy here (legacy validators). */
  legacyNpyPath?: string;
  /** Checkpoint directory the algorithm needs (soft_token, activation_beacon). */
  checkpoint?: string;
}

export interface CompressCallOptions {
  /** Absolute epoch ms: the request's one deadline. */
  deadline: number;
  /** Aborted when the caller goes away: the pool cancels the work (CancelRequest). */
  signal?: AbortSignal;
}

export interface CompressOutcome {
  path: string;
  bytes: number;
  keptTokens: number;
  originalTokens: number;
  contextSha256: string;
  /** Time the request waited for a worker slot (pool side), when known. */
  queueMs?: number;
  computeMs: number;
  serializeMs: number;
  /** Bytes of the legacy .npy written at `CompressJob.legacyNpyPath`; 0 or absent when none was written. */
  legacyNpyBytes?: number;
}

export interface Compressor {
  compress(job: CompressJob, opts: CompressCallOptions): Promise<CompressOutcome>;
  /** False when no worker can take a request now: lets the miner answer 503 at once instead of waiting. */
  available(): boolean;
  /** What the workers announce (Hello capabilities, e.g. "compress:knorm"); absent when unknown. */
  capabilities?(): ReadonlySet<string>;
  /** The workers, for /healthz; absent when this compressor has none to report. */
  workers?(): ReadonlyArray<WorkerInfo>;
}

/** Minimal surface of WorkerPool used here (kept structural so tests can pass a fake). */
export type PoolLike = Pick<WorkerPool, "request"> & { workers?: () => ReadonlyArray<WorkerInfo> };

export class WorkerPoolCompressor implements Compressor {
  constructor(readonly pool: PoolLike) {}

  available(): boolean {
    const ws = this.pool.workers?.();
    return ws === undefined ? true : ws.some((w) => w.state === "ready");
  }

  capabilities(): ReadonlySet<string> {
    return announcedCapabilities(this.pool.workers?.() ?? []);
  }

  workers(): ReadonlyArray<WorkerInfo> {
    return this.pool.workers?.() ?? [];
  }

  async compress(job: CompressJob, opts: CompressCallOptions): Promise<CompressOutcome> {
    const t0 = performance.now();
    const reply = await this.pool.request({
      body: {
        case: "compress",
        value: {
          context: job.context,
          targetModel: job.targetModel,
          algorithm: job.algorithm,
          params: { ratio: job.ratio, minTokens: job.minTokens, maxTokens: job.maxTokens, ...(job.checkpoint ? { checkpoint: job.checkpoint } : {}) },
          outputPath: job.outputPath,
          minerHotkey: job.minerHotkey,
          ...(job.legacyNpyPath ? { legacyNpyPath: job.legacyNpyPath } : {}),
        },
      },
      deadline: opts.deadline,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const body = reply.header.body;
    if (body.case !== "compress") throw new Error(`worker ${reply.workerId} answered ${String(body.case)} to a compress request`);
    const r = body.value;
    const info = r.info;
    if (!info || !r.path) throw new Error(`worker ${reply.workerId} sent a compress reply without a container path`);
    if (r.path !== job.outputPath) throw new Error(`worker ${reply.workerId} wrote the container to another path than the one asked`);
    const total = performance.now() - t0;
    return {
      path: r.path,
      bytes: Number(info.bytes),
      keptTokens: info.keptTokens,
      originalTokens: info.originalTokens,
      contextSha256: info.sha256Context,
      computeMs: r.computeMs,
      serializeMs: r.serializeMs,
      legacyNpyBytes: Number(r.legacyNpyBytes),
      queueMs: Math.max(0, total - r.computeMs - r.serializeMs),
    };
  }
}
