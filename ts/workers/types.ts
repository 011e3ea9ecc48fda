// Public option and result types of the worker pool.
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { FromWorker, Hello, ToWorkerSchema } from "../gen/condense/v1/worker_pb.js";
import type { ReceivedTensor, Tensor } from "./tensor.js";

type BodyInit = NonNullable<MessageInitShape<typeof ToWorkerSchema>["body"]>;
/** A request body, e.g. `{ case: "prefill", value: { context: "..." } }` (cancel is sent by the pool). */
export type RequestBody = Exclude<BodyInit, { case: undefined } | { case: "cancel" }>;
export type RequestKind = RequestBody["case"];

export interface LocalWorkerSpec {
  /** Model spec passed to `--model` (e.g. `tiny:llama`, `smollm2`, a local directory). */
  model: string;
  device: string;
  count: number;
  /** Model dtype (`--dtype`); default float32 on cpu, bfloat16 on cuda. */
  dtype?: "f32" | "bf16" | "f16";
  /** Extra command-line arguments appended for this worker kind. */
  extraArgs?: string[];
}

/** How to start one local worker; the default runs `python -m condense_worker`. */
export type WorkerCommand = (w: {
  /** The routing id to connect with (`--worker-id`): the worker's name plus a random suffix, new per spawn. */
  id: string;
  endpoint: string;
  spec: LocalWorkerSpec;
  python: string;
  heartbeatMs?: number;
  /** torch threads for this worker (`--threads`): `PoolOptions.threads`, else the cores divided among the local workers. */
  threads?: number;
}) => {
  file: string;
  args: string[];
  cwd?: string;
};

export interface RestartPolicy {
  /** First delay before restarting a dead local worker; doubles per consecutive failure. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** A worker that stayed up this long resets its backoff (so does a kill by a signal of a worker that was ready). */
  stableAfterMs: number;
  /** Consecutive failed starts after which a local worker is given up ("failed") and its queued requests fail. */
  maxAttempts: number;
}

export interface PoolOptions {
  /** ipc:// endpoint local workers connect to; default ipc://<tmpdir>/condense-<pid>-<random>.sock. */
  endpoint?: string;
  /** Also bind this tcp:// endpoint so remote workers can join (e.g. tcp://0.0.0.0:5555). */
  tcpEndpoint?: string;
  workers: LocalWorkerSpec[];
  /** Python interpreter for local workers; default `.venv/bin/python` at the repository root. */
  python?: string;
  command?: WorkerCommand;
  /** Deadline for each local worker's Hello. */
  readyTimeoutMs?: number;
  /** Heartbeat interval asked of local workers (`--heartbeat-ms`) and assumed when a Hello announces none; 3 missed = dead. */
  heartbeatMs?: number;
  /** Requests waiting for a free worker slot; a request beyond this fails at once with OverloadedError. */
  maxQueue?: number;
  logger?: import("pino").Logger;
  /** prom-client registry for the pool's metrics; default a private one (see `pool.metrics`). */
  registry?: Registry;
  restart?: Partial<RestartPolicy>;
  /** Directory (tmpfs) for tensors sent as files; default /dev/shm when present, else the OS tmpdir. */
  fileDir?: string;
  /** Kill the workers when this process gets SIGINT/SIGTERM, crashes or exits (default true). */
  handleSignals?: boolean;
  /**
   * torch threads per local worker (`--threads`). Default: os.availableParallelism() divided by the
   * number of local workers, at least 1 (torch's own default, every core per worker, oversubscribes).
   */
  threads?: number;
  /**
   * The secret every worker presents in its Hello (at least 16 characters). Default: the
   * CONDENSE_WORKER_KEY environment variable, else a random key only local workers get. Required
   * (one of the two) with `tcpEndpoint`, since remote workers must be given it.
   */
  workerKey?: string;
  /**
   * Extra environment variables for local workers. They otherwise get only an allow-list of this
   * process's environment (PATH, HOME, locale, PYTHON*, HF_*, TRANSFORMERS_*, TORCH*, CUDA_*, thread
   * settings, ...), never cloud keys or other secrets.
   */
  env?: Record<string, string>;
}

export interface PoolRequest {
  body: RequestBody;
  tensors?: Tensor[];
  /** Capability the worker must announce; default the body kind (e.g. "prefill"). */
  capability?: string;
  /**
   * Relative time budget in ms. On expiry the worker gets CancelRequest and the call fails with
   * DeadlineExceededError. With `deadline` too, the earlier of the two wins.
   */
  timeoutMs?: number;
  /** Absolute deadline, epoch ms (e.g. from a validator's synapse timeout); combined with `timeoutMs` as above. */
  deadline?: number;
  signal?: AbortSignal;
  /** "frames" (default) sends tensors as ZeroMQ frames; "file" writes them to `fileDir` and sends FileRefs. */
  transport?: "frames" | "file";
  /** Streamed replies (TrainProgress) before the one marked `final`. */
  onProgress?: (reply: PoolReply) => void;
}

export interface PoolReply {
  header: FromWorker;
  tensors: ReceivedTensor[];
  workerId: string;
}

/** `lost`: a remote worker that went silent while still connected; re-admitted when it speaks again. `failed`: a local worker given up after `restart.maxAttempts` failed starts. */
export type WorkerState = "starting" | "ready" | "dead" | "restarting" | "stopped" | "lost" | "failed";

export interface WorkerInfo {
  id: string;
  local: boolean;
  state: WorkerState;
  pid: number | undefined;
  inflight: number;
  maxInflight: number;
  restarts: number;
  hello: Hello | undefined;
}

export type { Logger };
