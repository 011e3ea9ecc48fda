// Typed worker errors: one table maps every protocol ErrorCode to a stable name, an HTTP status and a
// default retryability, so the axon, the organic API and the CLI report a worker failure the same way.
import { ErrorCode } from "../gen/condense/v1/worker_pb.js";

export type WorkerErrorName =
  | "unspecified"
  | "malformed"
  | "unsupported_version"
  | "unknown_message"
  | "invalid_argument"
  | "unsupported_model"
  | "unsupported_algorithm"
  | "invalid_container"
  | "deadline_exceeded"
  | "cancelled"
  | "overloaded"
  | "worker_dead"
  | "out_of_memory"
  | "not_found"
  | "internal"
  | "no_worker";

export interface ErrorCodeInfo {
  name: WorkerErrorName;
  /** Status an HTTP surface (axon, organic API) answers with when this error reaches it. */
  httpStatus: number;
  retryable: boolean;
}

export const ERROR_CODES: Readonly<Record<ErrorCode, ErrorCodeInfo>> = {
  [ErrorCode.UNSPECIFIED]: { name: "unspecified", httpStatus: 500, retryable: false },
  [ErrorCode.MALFORMED]: { name: "malformed", httpStatus: 400, retryable: false },
  [ErrorCode.UNSUPPORTED_VERSION]: { name: "unsupported_version", httpStatus: 500, retryable: false },
  [ErrorCode.UNKNOWN_MESSAGE]: { name: "unknown_message", httpStatus: 501, retryable: false },
  [ErrorCode.INVALID_ARGUMENT]: { name: "invalid_argument", httpStatus: 400, retryable: false },
  [ErrorCode.UNSUPPORTED_MODEL]: { name: "unsupported_model", httpStatus: 422, retryable: false },
  [ErrorCode.UNSUPPORTED_ALGORITHM]: { name: "unsupported_algorithm", httpStatus: 422, retryable: false },
  [ErrorCode.INVALID_CONTAINER]: { name: "invalid_container", httpStatus: 422, retryable: false },
  [ErrorCode.DEADLINE_EXCEEDED]: { name: "deadline_exceeded", httpStatus: 504, retryable: true },
  [ErrorCode.CANCELLED]: { name: "cancelled", httpStatus: 499, retryable: false },
  [ErrorCode.OVERLOADED]: { name: "overloaded", httpStatus: 429, retryable: true },
  [ErrorCode.WORKER_DEAD]: { name: "worker_dead", httpStatus: 503, retryable: true },
  [ErrorCode.OUT_OF_MEMORY]: { name: "out_of_memory", httpStatus: 507, retryable: true },
  [ErrorCode.NOT_FOUND]: { name: "not_found", httpStatus: 404, retryable: false },
  [ErrorCode.INTERNAL]: { name: "internal", httpStatus: 500, retryable: false },
  [ErrorCode.NO_WORKER]: { name: "no_worker", httpStatus: 503, retryable: true },
};

export function errorInfo(code: ErrorCode): ErrorCodeInfo {
  return ERROR_CODES[code] ?? ERROR_CODES[ErrorCode.UNSPECIFIED];
}

export interface WorkerErrorOptions {
  requestId?: string;
  workerId?: string;
  retryable?: boolean;
  cause?: unknown;
}

/** Any failure of a pool request: raised by the pool itself or carried from a worker's Error reply. */
export class WorkerError extends Error {
  readonly code: ErrorCode;
  readonly codeName: WorkerErrorName;
  readonly httpStatus: number;
  readonly retryable: boolean;
  readonly requestId: string | undefined;
  readonly workerId: string | undefined;

  constructor(code: ErrorCode, message: string, opts: WorkerErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    const info = errorInfo(code);
    this.name = "WorkerError";
    this.code = code;
    this.codeName = info.name;
    this.httpStatus = info.httpStatus;
    this.retryable = opts.retryable ?? info.retryable;
    this.requestId = opts.requestId;
    this.workerId = opts.workerId;
  }
}

/** The queue is full: answered at once, never queued. */
export class OverloadedError extends WorkerError {
  constructor(queued: number, max: number) {
    super(ErrorCode.OVERLOADED, `worker pool overloaded: ${queued} requests queued (max ${max})`);
    this.name = "OverloadedError";
  }
}

/** The worker handling the request died (process exit, lost heartbeats or its own WorkerDead). */
export class WorkerDeadError extends WorkerError {
  constructor(workerId: string, cause: string, requestId?: string) {
    super(ErrorCode.WORKER_DEAD, `worker ${workerId} died: ${cause}`, { workerId, requestId });
    this.name = "WorkerDeadError";
  }
}

export class NoWorkerError extends WorkerError {
  constructor(capability: string) {
    super(ErrorCode.NO_WORKER, `no live or starting worker offers capability "${capability}"`);
    this.name = "NoWorkerError";
  }
}

export class DeadlineExceededError extends WorkerError {
  /** `deadline` is absolute epoch ms when known. */
  constructor(requestId: string, deadline: number | undefined, workerId?: string) {
    const what = deadline ? `its deadline (${new Date(deadline).toISOString()})` : "its deadline";
    super(ErrorCode.DEADLINE_EXCEEDED, `request ${requestId} exceeded ${what}`, { requestId, workerId });
    this.name = "DeadlineExceededError";
  }
}

export class CancelledError extends WorkerError {
  constructor(requestId: string, reason: string, workerId?: string) {
    super(ErrorCode.CANCELLED, `request ${requestId} cancelled: ${reason}`, { requestId, workerId });
    this.name = "CancelledError";
  }
}

/** A frame or header that does not match its description (size check, unknown dtype, bad FileRef). */
export class MalformedError extends WorkerError {
  constructor(message: string, opts: WorkerErrorOptions = {}) {
    super(ErrorCode.MALFORMED, message, opts);
    this.name = "MalformedError";
  }
}

/** `startup`: the worker itself reported why it could not start (WorkerDead before Hello). */
export type StartPhase = "spawn" | "startup" | "handshake" | "version";

/** A local worker failed before it was ready: names the worker, the phase, how it ended and its last stderr lines. */
export class WorkerStartError extends WorkerError {
  readonly phase: StartPhase;
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly stderrTail: string[];
  /** The cause the worker sent in WorkerDead before its Hello, when it sent one. */
  readonly reportedCause: string | undefined;

  constructor(
    workerId: string,
    phase: StartPhase,
    reason: string,
    details: {
      exitCode?: number | undefined;
      signal?: string | undefined;
      stderrTail?: string[];
      code?: ErrorCode;
      reportedCause?: string | undefined;
    } = {},
  ) {
    const how =
      details.signal !== undefined ? ` (killed by ${details.signal})` : details.exitCode !== undefined ? ` (exit code ${details.exitCode})` : "";
    const tail = details.stderrTail?.length ? `\n--- last stderr lines of ${workerId} ---\n${details.stderrTail.join("\n")}` : "";
    super(details.code ?? ErrorCode.WORKER_DEAD, `worker ${workerId} failed during ${phase}: ${reason}${how}${tail}`, { workerId, retryable: false });
    this.name = "WorkerStartError";
    this.phase = phase;
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stderrTail = details.stderrTail ?? [];
    this.reportedCause = details.reportedCause;
  }
}

/** A Hello whose protocol_version is not ours: refused by name. */
export class ProtocolMismatchError extends WorkerStartError {
  readonly got: number;
  readonly expected: number;
  constructor(workerId: string, got: number, expected: number) {
    super(workerId, "version", `protocol version mismatch: worker speaks ${got}, orchestrator speaks ${expected}`, {
      code: ErrorCode.UNSUPPORTED_VERSION,
    });
    this.name = "ProtocolMismatchError";
    this.got = got;
    this.expected = expected;
  }
}

export class PoolClosedError extends WorkerError {
  constructor() {
    super(ErrorCode.CANCELLED, "worker pool is closed");
    this.name = "PoolClosedError";
  }
}

/** Turns a worker's Error reply into the matching typed error (so a worker-side deadline reads like ours). */
export function fromWireError(e: { code: ErrorCode; message: string; retryable: boolean }, requestId: string, workerId: string): WorkerError {
  const message = e.message || `worker ${workerId} answered ${errorInfo(e.code).name}`;
  let err: WorkerError;
  switch (e.code) {
    case ErrorCode.DEADLINE_EXCEEDED:
      err = new DeadlineExceededError(requestId, undefined, workerId);
      break;
    case ErrorCode.CANCELLED:
      err = new CancelledError(requestId, message, workerId);
      break;
    case ErrorCode.MALFORMED:
      err = new MalformedError(message, { requestId, workerId });
      break;
    case ErrorCode.WORKER_DEAD:
      err = new WorkerDeadError(workerId, message, requestId);
      break;
    default:
      return new WorkerError(e.code, message, { requestId, workerId, retryable: e.retryable });
  }
  if (e.message) Object.defineProperty(err, "message", { value: `${err.message} (worker ${workerId}: ${e.message})` });
  return err;
}

export function isWorkerError(e: unknown, name?: WorkerErrorName): e is WorkerError {
  return e instanceof WorkerError && (name === undefined || e.codeName === name);
}
