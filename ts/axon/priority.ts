// Optional admission control behind the priority hook: at most `maxConcurrent` forwards run at once, at most
// `maxQueued` requests wait (the next one is refused at once: the axon answers 503), waiting requests are served
// highest priority first, a request still waiting when its synapse timeout passes gets the Python axon's 408, and
// one whose client left (its AbortSignal) leaves the queue. Without a limit the hook's value is only
// informational, as in Python.

export class PriorityTimeoutError extends Error {
  override readonly name = "PriorityTimeoutError";
  readonly code = "priority_timeout";
}
export class QueueFullError extends Error {
  override readonly name = "QueueFullError";
  readonly code = "queue_full";
}
export class WaitAbortedError extends Error {
  override readonly name = "WaitAbortedError";
  readonly code = "aborted";
}

interface Waiter {
  priority: number;
  seq: number;
  resolve: (release: () => void) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  cleanup: () => void;
}

export class PriorityGate {
  #running = 0;
  #seq = 0;
  readonly #waiting: Waiter[] = [];

  /** `maxQueued` defaults to 4 x maxConcurrent (at least 16). */
  constructor(
    readonly maxConcurrent: number,
    readonly maxQueued: number = Math.max(16, 4 * maxConcurrent),
  ) {}

  get running(): number {
    return this.#running;
  }
  get waiting(): number {
    return this.#waiting.length;
  }

  /**
   * Resolves with a release function once a slot is free. Rejects with QueueFullError at once when the queue is
   * full, PriorityTimeoutError after `timeoutMs`, WaitAbortedError when `signal` aborts while waiting.
   */
  acquire(priority: number, timeoutMs: number, signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(new WaitAbortedError("aborted before queueing"));
    if (this.#running < this.maxConcurrent && this.#waiting.length === 0) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    if (this.#waiting.length >= this.maxQueued) return Promise.reject(new QueueFullError(`${this.#waiting.length} requests already waiting`));
    return new Promise((resolve, reject) => {
      const leave = (e: Error) => {
        const i = this.#waiting.indexOf(w);
        if (i >= 0) this.#waiting.splice(i, 1);
        w.cleanup();
        reject(e);
      };
      const onAbort = () => leave(new WaitAbortedError("client left while queued"));
      const w: Waiter = {
        priority: Number.isFinite(priority) ? priority : 0,
        seq: this.#seq++,
        resolve,
        reject,
        timer: setTimeout(() => leave(new PriorityTimeoutError("timed out waiting for a forward slot")), Math.max(0, timeoutMs)),
        cleanup: () => {
          clearTimeout(w.timer);
          signal?.removeEventListener("abort", onAbort);
        },
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      // Highest priority first, FIFO among equals; the queue is bounded, so a sorted insert is enough.
      let i = this.#waiting.findIndex((x) => x.priority < w.priority);
      if (i < 0) i = this.#waiting.length;
      this.#waiting.splice(i, 0, w);
    });
  }

  #releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#running--;
      const next = this.#waiting.shift();
      if (next) {
        next.cleanup();
        this.#running++;
        next.resolve(this.#releaser());
      }
    };
  }
}
