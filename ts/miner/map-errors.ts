// Maps a compute-side failure to the miner's answer by the pool's typed error code (ts/workers/errors.ts),
// never by class names or message text. Errors the pool raises itself (no worker, dead worker, queue full,
// deadline, cancelled) carry messages built from ids and counts and are passed on; what a worker says
// about a failed request may name files and goes to the logs only.
import { ErrorCode, WorkerError } from "../workers/index.js";
import { MinerError, type MinerErrorCode } from "./errors.js";

const BY_WORKER_CODE: Partial<Record<ErrorCode, { code: MinerErrorCode; passMessage: boolean }>> = {
  [ErrorCode.NO_WORKER]: { code: "pool_unavailable", passMessage: true },
  [ErrorCode.WORKER_DEAD]: { code: "pool_unavailable", passMessage: true },
  [ErrorCode.OVERLOADED]: { code: "capacity_exhausted", passMessage: true },
  [ErrorCode.DEADLINE_EXCEEDED]: { code: "deadline_exceeded", passMessage: true },
  [ErrorCode.CANCELLED]: { code: "cancelled", passMessage: true },
  [ErrorCode.INVALID_ARGUMENT]: { code: "bad_request", passMessage: false },
  [ErrorCode.MALFORMED]: { code: "bad_request", passMessage: false },
  [ErrorCode.UNSUPPORTED_MODEL]: { code: "unsupported_model", passMessage: false },
  [ErrorCode.UNSUPPORTED_ALGORITHM]: { code: "unsupported_model", passMessage: false },
};

export function mapComputeError(e: unknown): MinerError {
  if (e instanceof MinerError) return e;
  const detail = e instanceof Error ? e.message : String(e);
  if (e instanceof WorkerError) {
    const m = BY_WORKER_CODE[e.code];
    if (m) return new MinerError(m.code, m.passMessage ? `compression: ${e.message}` : `the compression worker refused the request (${e.codeName})`, { cause: e, detail });
    return new MinerError("compress_failed", `compression failed (${e.codeName})`, { cause: e, detail });
  }
  return new MinerError("compress_failed", "compression failed", { cause: e, detail });
}
