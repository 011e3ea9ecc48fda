// The axon's one error -> status table. Every refusal is an AxonRequestError with a stable `code`; the code that
// answers reads the status from AXON_ERROR_STATUS (handlers that throw their own AxonRequestError choose theirs,
// code "handler"). Texts of 401/403/404/408 follow the Python axon (bittensor 10.5) so Python tooling that greps
// them keeps working. A 500 never carries an exception's text: the reply says `Internal Server Error #<id>` and
// the detail goes to the log under the same id.
import { randomUUID } from "node:crypto";
import { pyFloatRepr } from "../bittensor/pystr.js";

export type AxonStatus = 400 | 401 | 403 | 404 | 408 | 413 | 415 | 429 | 500 | 503;

export const AXON_ERROR_STATUS = {
  unknown_synapse: 404,
  bad_headers: 400,
  bad_body: 400,
  too_large: 413,
  bad_content_type: 415,
  blacklisted: 403,
  rate_limited: 429,
  not_verified: 401,
  /** The nonce table is full of live entries: refuse the new key rather than forget a live one (replays). */
  nonce_table_full: 503,
  priority_timeout: 408,
  /** Python's axon has no queue; 503 is what its dendrite reports as "service unavailable" (retry later). */
  queue_full: 503,
  /** The client left before an answer; nobody reads this reply (kept for logs and metrics). */
  client_gone: 408,
  body_hash_mismatch: 500,
  internal: 500,
  closing: 503,
  /** Thrown by a route's admit/forward hook with a status of its choosing. */
  handler: 500,
} as const satisfies Record<string, AxonStatus>;

export type AxonErrorCode = keyof typeof AXON_ERROR_STATUS;

/** A request rejected by the pipeline: HTTP status plus the message put in the JSON body and headers. */
export class AxonRequestError extends Error {
  override readonly name = "AxonRequestError";
  readonly code: AxonErrorCode;
  /** Correlates a 500 reply with its log line. */
  readonly requestId: string | undefined;
  constructor(
    readonly status: AxonStatus,
    message: string,
    /** Detail for logs only (never sent). */
    readonly detail?: string,
    code: AxonErrorCode = "handler",
  ) {
    super(message);
    this.code = code;
    this.requestId = status === 500 ? randomUUID() : undefined;
  }

  /** The message a client may see: a 500 is always generic. */
  get publicMessage(): string {
    return this.status === 500 ? `Internal Server Error #${this.requestId}` : this.message;
  }
}

function make(code: Exclude<AxonErrorCode, "handler">, message: string, detail?: string): AxonRequestError {
  return new AxonRequestError(AXON_ERROR_STATUS[code], message, detail, code);
}

export const axonErrors = {
  unknownSynapse: (name: string, available: string[]) =>
    make("unknown_synapse", `Synapse name '${name.slice(0, 100)}' not found. Available synapses [${available.map((n) => `'${n}'`).join(", ")}]`),
  badHeaders: (detail: string) => make("bad_headers", `Improperly formatted request. Could not parse headers: ${detail}`),
  badBody: (detail: string) => make("bad_body", `Improperly formatted request body: ${detail}`),
  blacklisted: (reason: string) => make("blacklisted", `Forbidden. Key is blacklisted: ${reason}.`),
  rateLimited: (reason: string) => make("rate_limited", `Too Many Requests. Key is rate limited: ${reason}.`),
  notVerified: (why: string) => make("not_verified", `Not Verified with error: ${why}`),
  nonceTableFull: () => make("nonce_table_full", "Service Unavailable: too many live dendrite nonces, retry shortly"),
  priorityTimeout: (timeoutS: number) => make("priority_timeout", `Response timeout after: ${pyFloatRepr(timeoutS)}s`),
  queueFull: (queued: number) => make("queue_full", `Service Unavailable: the forward queue is full (${queued} waiting)`),
  clientGone: () => make("client_gone", "Client disconnected"),
  tooLarge: (limit: number, route: string) => make("too_large", `Request body is larger than the limit of ${limit} bytes for ${route.slice(0, 100)}`),
  badContentType: (got: string | undefined) => make("bad_content_type", `Unsupported Content-Type ${JSON.stringify((got ?? "").slice(0, 100))}: the body must be application/json`),
  internal: (detail?: string) => make("internal", "Internal Server Error", detail),
  bodyHashMismatch: (header: string, parsed: string) => make("body_hash_mismatch", "Internal Server Error", `Hash mismatch between header body hash ${header} and parsed body hash ${parsed}`),
  closing: () => make("closing", "Service Unavailable: the axon is shutting down"),
};
