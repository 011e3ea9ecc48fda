// Optional admission control behind the priority hook: at most `maxConcurrent` forwards run at once, waiting
// requests are served highest priority first, and a request still waiting when its synapse timeout passes
// gets the Python axon's 408. Without a limit the hook's value is only informational, as in Python.

export class PriorityTimeoutError extends Error {
  override readonly name = "PriorityTimeoutError";
}

interface Waiter {
  priority: number;
  seq: number;
  resolve: (release: () => void) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

export class PriorityGate {
  #running = 0;
  #seq = 0;
  readonly #waiting: Waiter[] = [];

  constructor(readonly maxConcurrent: number) {}

  get running(): number {
    return this.#running;
  }
  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves with a release function once a slot is free; rejects with PriorityTimeoutError after `timeoutMs`. */
  acquire(priority: number, timeoutMs: number): Promise<() => void> {
    if (this.#running < this.maxConcurrent && this.#waiting.length === 0) {
      this.#running++;
      return Promise.resolve(this.#releaser());
    }
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        priority: Number.isFinite(priority) ? priority : 0,
        seq: this.#seq++,
        resolve,
        reject,
        timer: setTimeout(() => {
          const i = this.#waiting.indexOf(w);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(new PriorityTimeoutError("timed out waiting for a forward slot"));
        }, Math.max(0, timeoutMs)),
      };
      // Highest priority first, FIFO among equals; queues are short, so a sorted insert is enough.
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
        clearTimeout(next.timer);
        this.#running++;
        next.resolve(this.#releaser());
      }
    };
  }
}
