// Every way the miner refuses or fails a request, one stable code each, and the one table of the HTTP
// status the axon answers with (read by toAxonError in routes.ts). Over budget is 429 and never 5xx
// (validators penalise 5xx much harder, SN19 §3). The axon's status set has no 504: a deadline we missed
// is a 503 (we could not serve in time).
import type { AxonStatus } from "../axon/errors.js";

export const MINER_ERRORS = {
  unknown_hotkey: 403,
  no_validator_permit: 403,
  stake_too_low: 403,
  rate_limited: 429,
  capacity_exhausted: 429,
  bad_request: 400,
  context_too_long: 400,
  unsupported_model: 400,
  unknown_tier: 400,
  /** The caller went away (disconnect) or its synapse timeout passed while we worked. */
  cancelled: 408,
  pool_unavailable: 503,
  storage_unavailable: 503,
  deadline_exceeded: 503,
  compress_failed: 500,
  storage_failed: 500,
} as const satisfies Record<string, AxonStatus>;

export type MinerErrorCode = keyof typeof MINER_ERRORS;

export class MinerError extends Error {
  override readonly name = "MinerError";
  /** HTTP status for the axon's response, from MINER_ERRORS (also exposed as statusCode for HTTP frameworks). */
  readonly status: AxonStatus;
  /** What the caller is not told (a worker's text, paths): for logs only. */
  readonly detail: string | undefined;
  constructor(
    readonly code: MinerErrorCode,
    /** Sent to the caller: never a local path or a worker's raw text. */
    message: string,
    options?: { cause?: unknown; detail?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.status = MINER_ERRORS[code];
    this.detail = options?.detail;
  }
  get statusCode(): number {
    return this.status;
  }
}

export function isMinerError(e: unknown, code?: MinerErrorCode): e is MinerError {
  return e instanceof MinerError && (code === undefined || e.code === code);
}
