// Typed storage failures: callers map them to a clear response, never to a crash.

export type StorageErrorCode =
  | "unavailable" // the store cannot be reached (connection refused, DNS, timeout)
  | "rejected" // the store answered with an error (auth, missing bucket, quota)
  | "aborted" // the caller's signal fired
  | "not_found"
  | "invalid_key"
  | "invalid_source"; // the file to upload cannot be read

export class StorageError extends Error {
  override readonly name = "StorageError";
  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "EHOSTUNREACH", "EPIPE", "UND_ERR_SOCKET"]);

/** Classifies an error thrown by the AWS SDK or node's networking. */
export function classifyStorageError(e: unknown, what: string): StorageError {
  if (e instanceof StorageError) return e;
  const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number }; cause?: unknown };
  const code = err?.code ?? (err?.cause as { code?: string } | undefined)?.code;
  const msg = err?.message ?? String(e);
  if (err?.name === "AbortError" || err?.name === "RequestAbortedError") return new StorageError("aborted", `${what}: aborted`, { cause: e });
  if ((code && NETWORK_CODES.has(code)) || err?.name === "TimeoutError" || /ECONNREFUSED|socket hang up|getaddrinfo/.test(msg))
    return new StorageError("unavailable", `${what}: storage unreachable (${code ?? msg})`, { cause: e });
  const status = err?.$metadata?.httpStatusCode;
  if (status === 404 || err?.name === "NoSuchKey" || err?.name === "NotFound") return new StorageError("not_found", `${what}: not found`, { cause: e });
  return new StorageError("rejected", `${what}: ${err?.name ?? "error"}${status ? ` (HTTP ${status})` : ""}: ${msg}`, { cause: e });
}

/** Keys are relative paths of safe characters: no "..", no leading slash, no control characters. */
export function checkKey(key: string): string {
  if (!/^[A-Za-z0-9][A-Za-z0-9._\-/]{0,511}$/.test(key) || key.split("/").some((p) => p === "" || p === "." || p === ".."))
    throw new StorageError("invalid_key", `invalid object key '${key}'`);
  return key;
}
