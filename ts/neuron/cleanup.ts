// The cleanup stack of a running neuron: whatever start-up opened is closed in reverse order, once, and a
// failing step is logged without stopping the others.
import type { Logger } from "pino";

export class CleanupStack {
  private readonly steps: Array<{ name: string; run: () => Promise<void> | void }> = [];
  private done: Promise<void> | null = null;

  constructor(private readonly log: Logger) {}

  push(name: string, run: () => Promise<void> | void): void {
    if (this.done) throw new Error(`cleanup "${name}" added after the neuron stopped`);
    this.steps.push({ name, run });
  }

  /** Runs every step, last pushed first; later calls return the same promise. */
  run(): Promise<void> {
    this.done ??= (async () => {
      for (const s of this.steps.reverse()) {
        try {
          await s.run();
        } catch (e) {
          this.log.warn({ step: s.name, err: e instanceof Error ? e.message : String(e) }, "cleanup step failed");
        }
      }
    })();
    return this.done;
  }
}
