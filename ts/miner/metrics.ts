// Prometheus metrics of the miner: outcomes by tier and code, and the time spent in each phase.
import { Counter, Histogram, Registry } from "prom-client";
import type { PhaseTimings } from "./service.js";

export class MinerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"tier" | "outcome">;
  readonly phases: Histogram<"phase">;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.requests = new Counter({
      name: "condense_miner_requests_total",
      help: "Compress requests by tier and outcome (ok or the refusal code: rate_limited, pool_unavailable, ...)",
      labelNames: ["tier", "outcome"],
      registers,
    });
    this.phases = new Histogram({
      name: "condense_miner_phase_seconds",
      help: "Time per phase of a served compress request",
      labelNames: ["phase"],
      buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
  }

  observe(t: PhaseTimings): void {
    for (const [k, v] of Object.entries(t)) this.phases.observe({ phase: k.replace(/_ms$/, "") }, v / 1000);
  }
}
