// Every error the organic API answers with, declared once: stable code -> HTTP status. The handler and the
// OpenAPI document both read this table.
export const ORGANIC_ERRORS = {
  bad_request: { status: 400, description: "the body is not a valid request" },
  unknown_tier: { status: 400, description: "no such tier" },
  unsupported_model: { status: 400, description: "the tier does not serve this target model" },
  context_too_long: { status: 400, description: "the context has more characters than the tier allows" },
  unauthorized: { status: 401, description: "missing, unknown or revoked API key" },
  miner_not_found: { status: 404, description: "miner_uid is not a contender of this tier" },
  body_too_large: { status: 413, description: "the request body is larger than the limit" },
  rate_limited: { status: 429, description: "this API key is over its rate limit" },
  internal: { status: 500, description: "unexpected validator error" },
  upstream_failed: { status: 502, description: "every miner tried failed (429, 5xx, timeout or an invalid answer)" },
  no_miner_available: { status: 503, description: "no contender of this tier has capacity left" },
} as const;

export type OrganicErrorCode = keyof typeof ORGANIC_ERRORS;

export class OrganicError extends Error {
  override readonly name = "OrganicError";
  readonly status: number;
  constructor(
    readonly code: OrganicErrorCode,
    message: string = ORGANIC_ERRORS[code].description,
    /** Per-attempt detail for `upstream_failed` (which miners were tried and why they failed). */
    readonly attempts?: ReadonlyArray<{ miner_uid: number; outcome: string }>,
  ) {
    super(message);
    this.status = ORGANIC_ERRORS[code].status;
  }

  toJSON(): { error: { code: OrganicErrorCode; message: string; attempts?: ReadonlyArray<{ miner_uid: number; outcome: string }> } } {
    return { error: { code: this.code, message: this.message, ...(this.attempts ? { attempts: this.attempts } : {}) } };
  }
}
