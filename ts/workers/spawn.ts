// Starts one local worker process (execa) in its own process group and turns its output into logs.
import { createInterface } from "node:readline";
import { execa, type ResultPromise } from "execa";
import type { Logger } from "pino";
import type { LocalWorkerSpec, WorkerCommand } from "./types.js";

const STDERR_TAIL_LINES = 40;
const PROGRESS_BAR = /\d+%\|.*\|/;

export interface ExitInfo {
  exitCode: number | undefined;
  signal: string | undefined;
}

/**
 * Runs the worker command in its own process group (setpgid, same session) so one kill reaches its
 * children; Node can only do that through setsid (`detached`). The pid stays the same across exec.
 */
const PGID_LAUNCHER = "import os,sys; os.setpgid(0,0); os.execvp(sys.argv[1], sys.argv[1:])";

/** The worker's `--dtype` names for the model dtypes it can load. */
export const WORKER_DTYPE_FLAG = { f32: "float32", bf16: "bfloat16", f16: "float16" } as const;

export const defaultWorkerCommand: WorkerCommand = ({ id, endpoint, spec, python, heartbeatMs, threads }) => ({
  file: python,
  args: [
    "-m",
    "condense_worker",
    "--connect",
    endpoint,
    "--model",
    spec.model,
    "--device",
    spec.device,
    "--worker-id",
    id,
    ...(spec.dtype ? ["--dtype", WORKER_DTYPE_FLAG[spec.dtype]] : []),
    ...(heartbeatMs ? ["--heartbeat-ms", String(Math.round(heartbeatMs))] : []),
    ...(threads ? ["--threads", String(threads)] : []),
    ...(spec.extraArgs ?? []),
  ],
});

/** A running local worker: its pid, the last stderr lines, and a promise that settles when it exits. */
export class WorkerProcess {
  readonly id: string;
  readonly pid: number;
  readonly exited: Promise<ExitInfo>;
  private readonly child: ResultPromise;
  private readonly tail: string[] = [];
  private exitInfo: ExitInfo | undefined;

  constructor(id: string, child: ResultPromise, logger: Logger) {
    this.id = id;
    this.child = child;
    if (child.pid === undefined) {
      // execa reports the reason (e.g. ENOENT) through the promise; read it so it is not an unhandled rejection.
      child.catch(() => undefined);
      throw new Error(`could not start the process (no pid; is the interpreter path right?)`);
    }
    this.pid = child.pid;
    const log = logger.child({ worker: id, pid: this.pid });
    if (child.stdout) createInterface({ input: child.stdout }).on("line", (line) => reemit(log, line));
    if (child.stderr) {
      createInterface({ input: child.stderr }).on("line", (line) => {
        this.tail.push(line);
        if (this.tail.length > STDERR_TAIL_LINES) this.tail.shift();
        // Progress bars (tqdm) are noise at warn level; anything else on stderr may be a traceback.
        if (!line.trim()) return;
        if (PROGRESS_BAR.test(line)) log.debug({ stream: "stderr" }, line);
        else log.warn({ stream: "stderr" }, line);
      });
    }
    // Keeping stdin open is the worker's lifeline: it exits on EOF, which also happens if we are SIGKILLed.
    child.stdin?.on("error", () => undefined);
    this.exited = child.then(
      (r) => this.setExit(r.exitCode, r.signal),
      (e: { exitCode?: number; signal?: string }) => this.setExit(e.exitCode, e.signal),
    );
  }

  private setExit(exitCode: number | undefined, signal: string | undefined): ExitInfo {
    this.exitInfo = { exitCode: exitCode ?? undefined, signal: signal ?? undefined };
    return this.exitInfo;
  }

  get exit(): ExitInfo | undefined {
    return this.exitInfo;
  }

  stderrTail(): string[] {
    return [...this.tail];
  }

  /**
   * Signals the whole process group (the worker and anything it started). After the worker itself has
   * exited this is a no-op unless `afterExit` (used right after its exit, before its pid can be reused).
   */
  killGroup(signal: NodeJS.Signals = "SIGKILL", afterExit = false): void {
    if (this.exitInfo && !afterExit) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      if (this.exitInfo) return;
      try {
        process.kill(this.pid, signal);
      } catch {
        // already gone
      }
    }
  }

  closeStdin(): void {
    this.child.stdin?.end();
  }
}

export function spawnWorker(opts: {
  /** The pool's name for the worker (log tag). */
  id: string;
  /** The routing id it connects with (`--worker-id`). */
  routingId: string;
  endpoint: string;
  spec: LocalWorkerSpec;
  python: string;
  command: WorkerCommand;
  logger: Logger;
  heartbeatMs?: number;
  threads?: number;
  /** The worker's whole environment (see workerEnv): nothing else is inherited. */
  env: Record<string, string>;
}): WorkerProcess {
  const cmd = opts.command({
    id: opts.routingId,
    endpoint: opts.endpoint,
    spec: opts.spec,
    python: opts.python,
    heartbeatMs: opts.heartbeatMs,
    threads: opts.threads,
  });
  const child = execa(opts.python, ["-S", "-c", PGID_LAUNCHER, cmd.file, ...cmd.args], {
    cwd: cmd.cwd,
    // Not `detached`: that calls setsid, and a new session lands in its own scheduler autogroup, which
    // measured 1.5-2.5x slower ZeroMQ round trips on a loaded host. The launcher makes a process group only.
    detached: false,
    cleanup: false,
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
    buffer: false,
    reject: false,
    extendEnv: false,
    env: opts.env,
  });
  return new WorkerProcess(opts.id, child, opts.logger);
}

/**
 * What a worker may inherit from our environment: what Python, torch, Hugging Face and CUDA read.
 * Everything else (AWS_*, S3 or API keys, wallet passwords) stays with the orchestrator.
 */
const ENV_ALLOW = [
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|TZ|TMPDIR|TERM|LD_LIBRARY_PATH|VIRTUAL_ENV|XDG_CACHE_HOME|XDG_RUNTIME_DIR)$/,
  /^LC_[A-Z_]+$/,
  /^PYTHON[A-Z_]*$/,
  /^(HF|HUGGINGFACE|TRANSFORMERS|TOKENIZERS|SAFETENSORS)_[A-Z0-9_]+$/,
  /^(TORCH|TORCHINDUCTOR|PYTORCH)_[A-Z0-9_]+$/,
  /^(CUDA|NVIDIA|NCCL|CUBLAS|CUDNN)_[A-Z0-9_]+$/,
  /^(OMP|MKL|OPENBLAS|KMP|GOTO|VECLIB|NUMEXPR)_[A-Z0-9_]+$/,
];

/** The environment of a local worker: the allow-listed part of `from`, then `extra`. */
export function workerEnv(from: NodeJS.ProcessEnv, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(from)) if (v !== undefined && ENV_ALLOW.some((re) => re.test(k))) env[k] = v;
  return { ...env, PYTHONUNBUFFERED: "1", ...extra };
}

const LEVELS = new Set(["trace", "debug", "info", "warn", "error", "fatal"]);
const PY_LEVELS: Record<string, string> = { warning: "warn", critical: "fatal", exception: "error" };
const PINO_NUMERIC: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

/** Re-emits a worker's JSON log line at its own level; anything else passes through at debug. */
export function reemit(log: Logger, line: string): void {
  if (!line.trim()) return;
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    log.debug({ stream: "stdout" }, line);
    return;
  }
  if (typeof obj !== "object" || obj === null || Array.isArray(obj)) {
    log.debug({ stream: "stdout" }, line);
    return;
  }
  const { level, msg, message, time: _time, ...rest } = obj as Record<string, unknown>;
  let lvl = typeof level === "number" ? PINO_NUMERIC[level] : typeof level === "string" ? level.toLowerCase() : "info";
  lvl = lvl && (PY_LEVELS[lvl] ?? lvl);
  const text = typeof msg === "string" ? msg : typeof message === "string" ? message : "";
  const fn = lvl && LEVELS.has(lvl) ? (lvl as "info") : "info";
  log[fn](rest, text);
}
