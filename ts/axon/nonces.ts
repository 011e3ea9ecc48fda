// Replay protection (spec §1.5): the last accepted nonce per `hotkey:uuid`, strictly increasing; a key seen for
// the first time must carry a nonce newer than now - 4 s - timeout. Entries older than the widest window are
// swept, which is safe: a replay of such a nonce would fail the first-seen window anyway.

export const ALLOWED_DELTA_NS = 4_000_000_000n;
const NS_PER_S = 1_000_000_000n;

export type NonceCheck = { ok: true } | { ok: false; reason: string };

export class NonceStore {
  readonly #last = new Map<string, bigint>();
  readonly #maxTimeoutS: number;

  /** `maxTimeoutS` caps the client-chosen timeout that widens the first-seen window. */
  constructor(opts: { maxTimeoutS?: number } = {}) {
    this.#maxTimeoutS = opts.maxTimeoutS ?? 300;
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
    const last = this.#last.get(key);
    if (last === undefined) {
      const oldest = nowNs - this.windowNs(timeoutS);
      if (nonce <= oldest) {
        const diff = Number(nowNs - nonce) / 1e9;
        const allowed = Number(this.windowNs(timeoutS)) / 1e9;
        return { ok: false, reason: `Nonce is too old: acceptable delta is ${allowed.toFixed(2)} seconds but request was ${diff.toFixed(2)} seconds old` };
      }
      return { ok: true };
    }
    if (nonce <= last) return { ok: false, reason: "Nonce is too old, a newer one was last processed" };
    return { ok: true };
  }

  record(key: string, nonce: bigint): void {
    const last = this.#last.get(key);
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
}

/** Wall-clock nanoseconds since the epoch (what Python's time.time_ns() gives). */
export function nowNanos(): bigint {
  return BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
}
