// Periodic lifecycle sweep: deletes stored containers older than a configured age.
import type { ObjectStore } from "./types.js";

export interface SweeperOptions {
  intervalMs: number;
  maxAgeMs: number;
  onSwept?: (deleted: number) => void;
  onError?: (e: unknown) => void;
}

/** Starts the sweep timer; returns a stop function. A failed sweep is reported, never thrown. */
export function startSweeper(store: ObjectStore, opts: SweeperOptions): () => void {
  let running = false;
  const tick = async () => {
    if (running) return; // a slow store must not pile up sweeps
    running = true;
    try {
      const n = await store.sweep(opts.maxAgeMs);
      opts.onSwept?.(n);
    } catch (e) {
      opts.onError?.(e);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), opts.intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
