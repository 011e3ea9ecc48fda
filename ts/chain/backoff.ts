// Exponential backoff with jitter for reconnects and transient RPC failures.
export interface BackoffOptions {
  /** Attempts after the first one. */
  retries: number;
  initialMs: number;
  maxMs: number;
  /** Only errors for which this returns true are retried. */
  isRetryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
  /** Injected for tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Injected for tests; defaults to Math.random. */
  random?: () => number;
}

/** Delay before retry `attempt` (1-based): initial * 2^(attempt-1), capped, with +-20% jitter. */
export function backoffDelay(attempt: number, o: Pick<BackoffOptions, "initialMs" | "maxMs" | "random">): number {
  const base = Math.min(o.maxMs, o.initialMs * 2 ** (attempt - 1));
  const jitter = 0.8 + 0.4 * (o.random ?? Math.random)();
  return Math.round(Math.min(o.maxMs, base * jitter));
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function withBackoff<T>(fn: () => Promise<T>, o: BackoffOptions): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= o.retries || !(o.isRetryable?.(err) ?? true)) throw err;
      const delay = backoffDelay(attempt + 1, o);
      o.onRetry?.(err, attempt + 1, delay);
      await (o.sleep ?? defaultSleep)(delay);
    }
  }
}

/** Connection-level failures worth retrying (the request never reached a healthy node). */
export function isTransientConnectionError(err: unknown): boolean {
  const msg = err instanceof Error ? err.message : String(err);
  return /disconnected|not connected|WebSocket|ECONNREFUSED|ECONNRESET|ETIMEDOUT|socket hang up|No response received|Abnormal Closure/i.test(
    msg,
  );
}
