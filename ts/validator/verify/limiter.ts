// A small counting semaphore: at most `concurrency` downloads at once, the rest wait in a bounded queue.

export class LimiterFullError extends Error {
  override readonly name = "LimiterFullError";
  readonly code = "LIMITER_FULL" as const;
}

export class Limiter {
  private active = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(
    readonly concurrency: number,
    /** Callers waiting beyond this many are refused at once (the validator's own bound). */
    readonly maxQueued = 10_000,
  ) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new RangeError("concurrency must be a positive integer");
  }

  get running(): number {
    return this.active;
  }
  get queued(): number {
    return this.waiting.length;
  }

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.active >= this.concurrency) {
      if (this.waiting.length >= this.maxQueued) throw new LimiterFullError(`${this.waiting.length} callers already waiting`);
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next) next(); // hand the slot over without releasing it
      else this.active--;
    }
  }
}
