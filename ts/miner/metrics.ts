// Prometheus metrics of the miner: outcomes by tier and code, and the time spent in each phase. Label values
// come only from bounded sets (the tier table's names, the error codes): a caller's raw string never
// becomes a label, so callers cannot grow the registry.
import { Counter, Histogram, Registry } from "prom-client";
import type { PhaseTimings } from "./service.js";

export class MinerMetrics {
  readonly registry: Registry;
  readonly requests: Counter<"tier" | "outcome">;
  readonly phases: Histogram<"phase">;

  private readonly tiers: ReadonlySet<string>;

  /** `tiers`: the tier table's names, the only tier label values besides "unknown". */
  constructor(registry: Registry = new Registry(), tiers: readonly string[] = []) {
    this.registry = registry;
    this.tiers = new Set(tiers);
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

  /** The label for what a request named as its tier: a known tier, "none" when it named none, else "unknown". */
  tierLabel(requested: unknown): string {
    if (requested === undefined || requested === null || requested === "") return "none";
    return typeof requested === "string" && this.tiers.has(requested) ? requested : "unknown";
  }

  observe(t: PhaseTimings): void {
    for (const [k, v] of Object.entries(t)) this.phases.observe({ phase: k.replace(/_ms$/, "") }, v / 1000);
  }
}
