// Every way the miner refuses or fails a request, one stable code each, with the HTTP status the axon
// answers. Over budget is 429 and never 5xx (validators penalise 5xx much harder, SN19 §3).

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
  pool_unavailable: 503,
  storage_unavailable: 503,
  deadline_exceeded: 504,
  compress_failed: 500,
  storage_failed: 500,
} as const;

export type MinerErrorCode = keyof typeof MINER_ERRORS;

export class MinerError extends Error {
  override readonly name = "MinerError";
  /** HTTP status for the axon's response (also exposed as statusCode for HTTP frameworks). */
  readonly status: number;
  constructor(
    readonly code: MinerErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.status = MINER_ERRORS[code];
  }
  get statusCode(): number {
    return this.status;
  }
}

export function isMinerError(e: unknown, code?: MinerErrorCode): e is MinerError {
  return e instanceof MinerError && (code === undefined || e.code === code);
}
