// Nonces in ns since the epoch (what Python's time.time_ns() gives), strictly increasing even when several
// calls are signed within one clock tick or the wall clock steps back.
import { nowNanos } from "../axon/nonces.js";

export class NonceClock {
  #last = 0n;
  next(): bigint {
    const now = nowNanos();
    this.#last = now > this.#last ? now : this.#last + 1n;
    return this.#last;
  }
}
