// Runs one training job: a `--model none` worker from the pool loads its own models and streams TrainProgress.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import { ErrorCode, type TrainRequestSchema } from "../gen/condense/v1/worker_pb.js";
import { WorkerPool } from "../workers/index.js";
import { isWorkerError, WorkerStartError } from "../workers/errors.js";
import { logPath, type TrainConfig } from "./config.js";
import { toRecord, type TrainRecord } from "./metrics.js";
import { TrainReporter } from "./reporter.js";

/** Exit codes of `condense train` (docs/trainer.md). */
export const EXIT = {
  ok: 0,
  /** training ran and failed (worker error, worker died, out of memory) */
  failed: 1,
  /** invalid configuration, missing data or resume path, model or data the worker rejects */
  config: 2,
  /** the training worker could not start */
  workerStart: 3,
  /** interrupted (SIGINT/SIGTERM): the worker stops after its current step and keeps last.ckpt */
  interrupted: 130,
} as const;

export function toRequest(cfg: TrainConfig): MessageInitShape<typeof TrainRequestSchema> {
  const abs = (p: string | undefined) => (p === undefined ? "" : p.startsWith("hf:") ? p : path.resolve(p));
  return {
    condenserModel: cfg.condenser_model,
    decoderModel: cfg.decoder_model,
    numCondenseTokens: cfg.num_tokens,
    lastKLayers: cfg.last_k,
    loraRank: cfg.lora_rank,
    lr: cfg.lr,
    lrProjection: cfg.lr_projection,
    maxSteps: cfg.max_steps,
    batchSize: cfg.batch_size,
    contextTokens: cfg.context_tokens,
    objective: cfg.objective,
    dataPath: abs(cfg.data),
    outputDir: abs(cfg.output),
    resumeFrom: abs(cfg.resume),
    valEvery: cfg.val_every,
    seed: cfg.seed,
    gradientCheckpointing: cfg.gradient_checkpointing,
  };
}

export interface TrainOutcome {
  final: TrainRecord;
  logPath: string;
  records: number;
}

export interface RunOptions {
  signal?: AbortSignal;
  logger?: Logger;
  /** Output stream of the progress display (default stderr). */
  stream?: NodeJS.WriteStream;
  /** After a cancel, how long to wait for the worker to save its state before closing it. */
  drainTimeoutMs?: number;
  /** torch threads for the training worker (`--threads`); default: the pool's share of the cores. */
  threads?: number;
}

/** Starts the worker, trains, and returns the final record; worker errors propagate as typed WorkerErrors. */
export async function runTraining(cfg: TrainConfig, opts: RunOptions = {}): Promise<TrainOutcome> {
  const reporter = new TrainReporter(logPath(cfg), { bar: cfg.progress, ...(opts.stream ? { stream: opts.stream } : {}) });
  let records = 0;
  const record = (r: TrainRecord) => {
    records++;
    reporter.update(r);
  };
  let pool: WorkerPool | undefined;
  let abortedAt = Date.now();
  opts.signal?.addEventListener("abort", () => (abortedAt = Date.now()), { once: true });
  try {
    pool = await WorkerPool.start({
      workers: [{ model: "none", device: cfg.device, count: 1 }],
      ...(cfg.python ? { python: cfg.python } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.threads ? { threads: opts.threads } : {}),
      restart: { initialDelayMs: 60_000 },
      // `condense train` owns SIGINT/SIGTERM: it cancels the request so the worker saves last.ckpt first.
      handleSignals: false,
    });
    const reply = await pool.request({
      body: { case: "train", value: toRequest(cfg) },
      ...(opts.signal ? { signal: opts.signal } : {}),
      onProgress: (r) => {
        if (r.header.body.case === "trainProgress") record(toRecord(r.header.body.value));
      },
    });
    const body = reply.header.body;
    if (body.case !== "trainProgress" || !body.value.final) {
      throw new Error(`training worker answered ${body.case ?? "nothing"} instead of a final TrainProgress`);
    }
    const final = toRecord(body.value);
    record(final);
    return { final, logPath: reporter.logPath, records };
  } catch (e) {
    // After a cancel the worker still finishes its step and saves last.ckpt; closing the pool at once
    // would kill it first, so wait until it has answered (the pool keeps its slot busy until then).
    if (pool && opts.signal?.aborted) await savedAfterCancel(pool, path.join(cfg.output, "last.ckpt"), abortedAt, opts.drainTimeoutMs ?? 60_000);
    throw e;
  } finally {
    await reporter.close();
    await pool?.close();
  }
}

/** Waits (bounded) until the worker has rewritten last.ckpt after the cancel, or is gone. The pool drops
 * the worker's late CANCELLED answer, so the file is the signal. */
async function savedAfterCancel(pool: WorkerPool, file: string, since: number, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  const saved = () => existsSync(file) && statSync(file).mtimeMs >= since;
  while (Date.now() < until && !saved() && pool.workers().some((w) => w.state === "ready")) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Maps a failure of runTraining to an exit code and a one-line message. */
export function exitFor(err: unknown): { code: number; message: string } {
  if (err instanceof WorkerStartError) return { code: EXIT.workerStart, message: `training worker did not start: ${err.message}` };
  if (isWorkerError(err)) {
    switch (err.code) {
      case ErrorCode.CANCELLED:
        return { code: EXIT.interrupted, message: `training interrupted: ${err.message}` };
      case ErrorCode.INVALID_ARGUMENT:
      case ErrorCode.NOT_FOUND:
      case ErrorCode.UNSUPPORTED_MODEL:
        return { code: EXIT.config, message: err.message };
      default:
        return { code: EXIT.failed, message: `training failed (${err.codeName}): ${err.message}` };
    }
  }
  return { code: EXIT.failed, message: `training failed: ${(err as Error)?.message ?? String(err)}` };
}
