// Periodic tasks (metagraph sync, storage sweep, weight setting): one run at a time, a failure is logged
// and the next tick tries again.
import type { Logger } from "pino";

export interface PeriodicTask {
  /** Runs the task now (waits for a run already in progress instead of overlapping it). */
  runNow(): Promise<void>;
  stop(): void;
}

export function every(name: string, intervalMs: number, task: () => Promise<void>, log: Logger): PeriodicTask {
  let running: Promise<void> | null = null;
  const runNow = (): Promise<void> => {
    running ??= task().finally(() => {
      running = null;
    });
    return running;
  };
  const timer = setInterval(() => {
    if (running) return;
    runNow().catch((e: unknown) => log.warn({ task: name, err: e instanceof Error ? e.message : String(e) }, `${name} failed; will retry`));
  }, intervalMs);
  timer.unref();
  return { runNow, stop: () => clearInterval(timer) };
}
