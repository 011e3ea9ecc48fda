// One place for every status the axon answers with and its `{"message": ...}` text. Texts of 401/403/404/408/500
// follow the Python axon (bittensor 10.5) so Python tooling that greps them keeps working.
import { randomUUID } from "node:crypto";
import { pyFloatRepr } from "../bittensor/pystr.js";

export type AxonStatus = 400 | 401 | 403 | 404 | 408 | 413 | 415 | 429 | 500 | 503;

/** A request rejected by the pipeline: HTTP status plus the message put in the JSON body and headers. */
export class AxonRequestError extends Error {
  override readonly name = "AxonRequestError";
  constructor(
    readonly status: AxonStatus,
    message: string,
    /** Detail for logs only (never sent). */
    readonly detail?: string,
  ) {
    super(message);
  }
}

export const axonErrors = {
  unknownSynapse: (name: string, available: string[]) =>
    new AxonRequestError(404, `Synapse name '${name}' not found. Available synapses [${available.map((n) => `'${n}'`).join(", ")}]`),
  badHeaders: (detail: string) => new AxonRequestError(400, `Improperly formatted request. Could not parse headers: ${detail}`),
  badBody: (detail: string) => new AxonRequestError(400, `Improperly formatted request body: ${detail}`),
  blacklisted: (reason: string) => new AxonRequestError(403, `Forbidden. Key is blacklisted: ${reason}.`),
  rateLimited: (reason: string) => new AxonRequestError(429, `Too Many Requests. Key is rate limited: ${reason}.`),
  notVerified: (why: string) => new AxonRequestError(401, `Not Verified with error: ${why}`),
  priorityTimeout: (timeoutS: number) => new AxonRequestError(408, `Response timeout after: ${pyFloatRepr(timeoutS)}s`),
  tooLarge: (limit: number, route: string) => new AxonRequestError(413, `Request body is larger than the limit of ${limit} bytes for ${route}`),
  badContentType: (got: string | undefined) => new AxonRequestError(415, `Unsupported Content-Type ${JSON.stringify(got ?? "")}: the body must be application/json`),
  internal: (detail?: string) => {
    const id = randomUUID();
    return new AxonRequestError(500, `Internal Server Error #${id}`, detail);
  },
  bodyHashMismatch: (header: string, parsed: string) => {
    const id = randomUUID();
    return new AxonRequestError(500, `Internal Server Error #${id}: Hash mismatch between header body hash ${header} and parsed body hash ${parsed}`);
  },
  closing: () => new AxonRequestError(503, "Service Unavailable: the axon is shutting down"),
};
