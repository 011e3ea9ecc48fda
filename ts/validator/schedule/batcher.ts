// Gathers items that arrive one by one (verified containers from different miners, each answering its own
// challenge) into batches for one padded, batched Evaluate: a batch runs when it is full or when its oldest item
// has waited `maxWaitMs`. Bounded: at most `maxPending` items wait; beyond that `add` refuses at once.
export class BatcherFullError extends Error {
  override readonly name = "BatcherFullError";
}

export interface BatcherOptions<T, R> {
  maxBatch: number;
  maxWaitMs: number;
  maxPending: number;
  /** Runs one batch; must return one result per item, in order. */
  run: (items: T[]) => Promise<R[]>;
}

interface Waiting<T, R> {
  item: T;
  resolve: (r: R) => void;
  reject: (e: unknown) => void;
}

export class Batcher<T, R> {
  readonly #o: BatcherOptions<T, R>;
  #queue: Array<Waiting<T, R>> = [];
  #timer: NodeJS.Timeout | null = null;
  #running = false;
  #closed = false;

  constructor(opts: BatcherOptions<T, R>) {
    if (opts.maxBatch < 1 || opts.maxPending < opts.maxBatch) throw new RangeError("need 1 <= maxBatch <= maxPending");
    this.#o = opts;
  }

  get pending(): number {
    return this.#queue.length;
  }

  add(item: T): Promise<R> {
    if (this.#closed) return Promise.reject(new BatcherFullError("the batcher is closed"));
    if (this.#queue.length >= this.#o.maxPending) return Promise.reject(new BatcherFullError(`${this.#queue.length} items already wait for evaluation`));
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ item, resolve, reject });
      this.#kick();
    });
  }

  /** Runs what is queued now without waiting for the batch to fill. */
  flush(): void {
    this.#clearTimer();
    void this.#drain(true);
  }

  /** Refuses new items; queued ones still run. */
  close(): void {
    this.#closed = true;
    this.flush();
  }

  #kick(): void {
    if (this.#running) return;
    if (this.#queue.length >= this.#o.maxBatch) {
      this.#clearTimer();
      void this.#drain(false);
    } else if (!this.#timer) {
      this.#timer = setTimeout(() => {
        this.#timer = null;
        void this.#drain(true);
      }, this.#o.maxWaitMs);
      this.#timer.unref?.();
    }
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #drain(force: boolean): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    try {
      while (this.#queue.length && (force || this.#queue.length >= this.#o.maxBatch)) {
        const batch = this.#queue.splice(0, this.#o.maxBatch);
        try {
          const results = await this.#o.run(batch.map((w) => w.item));
          if (results.length !== batch.length) throw new Error(`batch of ${batch.length} returned ${results.length} results`);
          batch.forEach((w, i) => w.resolve(results[i]!));
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
        force = this.#closed; // items that arrived meanwhile wait for their own timer or a full batch
      }
    } finally {
      this.#running = false;
      if (this.#queue.length) this.#kick();
    }
  }
}
