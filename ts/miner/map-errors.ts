// Maps a compute-side failure (worker pool errors, typed by ts/workers) to the miner's HTTP answer.
import { MinerError } from "./errors.js";

export function mapComputeError(e: unknown): MinerError {
  if (e instanceof MinerError) return e;
  const err = e as { codeName?: string; message?: string };
  const msg = err?.message ?? String(e);
  switch (err?.codeName) {
    case "no_worker":
    case "worker_dead":
      return new MinerError("pool_unavailable", `compression worker unavailable: ${msg}`, { cause: e });
    case "overloaded":
      return new MinerError("capacity_exhausted", `compression queue full: ${msg}`, { cause: e });
    case "deadline_exceeded":
      return new MinerError("deadline_exceeded", msg, { cause: e });
    case "invalid_argument":
    case "malformed":
      return new MinerError("bad_request", msg, { cause: e });
    case "unsupported_model":
    case "unsupported_algorithm":
      return new MinerError("unsupported_model", msg, { cause: e });
    default:
      return new MinerError("compress_failed", `compression failed: ${msg}`, { cause: e });
  }
}
