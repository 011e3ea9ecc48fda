// Replay protection (spec §1.5): the last accepted nonce per `hotkey:uuid`, strictly increasing; a key seen for
// the first time must carry a nonce newer than now - 4 s - timeout. Beyond Python: a nonce more than
// `maxFutureSkewS` ahead of our clock is refused (else it would pin its entry forever and outlive every sweep),
// and the table holds at most `maxEntries` keys. Entries whose nonce is older than the widest first-seen window
// are dropped, which is safe: a replay of such a nonce fails the window anyway. When the table is full of live
// entries a new key is refused (503), never a live entry forgotten (that would re-open its replays).

export const ALLOWED_DELTA_NS = 4_000_000_000n;
const NS_PER_S = 1_000_000_000n;

export type NonceRefusal = "stale" | "replayed" | "future" | "nonce_table_full";
export type NonceCheck = { ok: true } | { ok: false; code: NonceRefusal; reason: string };

export interface NonceStoreOptions {
  /** Caps the client-chosen timeout that widens the first-seen window (default 300 s). */
  maxTimeoutS?: number;
  /** How far ahead of our clock a nonce may be (default 5 s: NTP-synced peers differ by far less). */
  maxFutureSkewS?: number;
  /** Most keys kept (default 50,000; an entry is about 200 bytes). */
  maxEntries?: number;
}

export class NonceStore {
  readonly #last = new Map<string, bigint>();
  readonly #maxTimeoutS: number;
  readonly #maxFutureNs: bigint;
  readonly maxEntries: number;
  #nextSweepNs = 0n;

  constructor(opts: NonceStoreOptions = {}) {
    this.#maxTimeoutS = opts.maxTimeoutS ?? 300;
    this.#maxFutureNs = BigInt(Math.round((opts.maxFutureSkewS ?? 5) * 1e9));
    this.maxEntries = opts.maxEntries ?? 50_000;
  }

  get size(): number {
    return this.#last.size;
  }

  windowNs(timeoutS: number): bigint {
    const t = Math.min(Math.max(timeoutS, 0), this.#maxTimeoutS);
    return ALLOWED_DELTA_NS + BigInt(Math.round(t * 1e9));
  }

  /** Checks without recording (the nonce is recorded only after the signature verified). */
  check(key: string, nonce: bigint, timeoutS: number, nowNs: bigint = nowNanos()): NonceCheck {
    if (nonce > nowNs + this.#maxFutureNs) {
      const ahead = Number(nonce - nowNs) / 1e9;
      return { ok: false, code: "future", reason: `Nonce is ${ahead > 1e6 ? "far" : ahead.toFixed(2) + " seconds"} in the future: acceptable skew is ${(Number(this.#maxFutureNs) / 1e9).toFixed(2)} seconds` };
    }
    const last = this.#last.get(key);
    if (last === undefined) {
      const oldest = nowNs - this.windowNs(timeoutS);
      if (nonce <= oldest) {
        const diff = Number(nowNs - nonce) / 1e9;
        const allowed = Number(this.windowNs(timeoutS)) / 1e9;
        return { ok: false, code: "stale", reason: `Nonce is too old: acceptable delta is ${allowed.toFixed(2)} seconds but request was ${diff.toFixed(2)} seconds old` };
      }
      if (this.#last.size >= this.maxEntries) {
        this.#sweepIfDue(nowNs);
        if (this.#last.size >= this.maxEntries) return { ok: false, code: "nonce_table_full", reason: "too many live dendrite nonces" };
      }
      return { ok: true };
    }
    if (nonce <= last) return { ok: false, code: "replayed", reason: "Nonce is too old, a newer one was last processed" };
    return { ok: true };
  }

  /** Records an accepted nonce; a new key beyond the bound is dropped (check() refuses those first). */
  record(key: string, nonce: bigint): void {
    const last = this.#last.get(key);
    if (last === undefined && this.#last.size >= this.maxEntries) return;
    if (last === undefined || nonce > last) this.#last.set(key, nonce);
  }

  /** Drops keys whose last nonce is older than the widest first-seen window. */
  sweep(nowNs: bigint = nowNanos()): number {
    const cutoff = nowNs - ALLOWED_DELTA_NS - BigInt(this.#maxTimeoutS) * NS_PER_S;
    let n = 0;
    for (const [k, v] of this.#last) {
      if (v < cutoff) {
        this.#last.delete(k);
        n++;
      }
    }
    return n;
  }

  // A full table is swept at most once a second, so a flood of new keys cannot make every request O(n).
  #sweepIfDue(nowNs: bigint): void {
    if (nowNs < this.#nextSweepNs) return;
    this.#nextSweepNs = nowNs + NS_PER_S;
    this.sweep(nowNs);
  }
}

/** Wall-clock nanoseconds since the epoch (what Python's time.time_ns() gives). */
export function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}
