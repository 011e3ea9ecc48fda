// Prometheus counters of verification outcomes. Labels come only from bounded sets (the tier table's
// names and REFUSAL_CODES), so a miner cannot grow the registry with strings of its own.
import { Counter, Histogram, Registry } from "prom-client";
import { REFUSAL_CODES, type RefusalCode } from "./reasons.js";

export class VerifyMetrics {
  readonly registry: Registry;
  readonly outcomes: Counter<"tier" | "outcome">;
  readonly downloadSeconds: Histogram<"tier">;
  private readonly tiers: ReadonlySet<string>;

  constructor(registry: Registry = new Registry(), tiers: readonly string[] = []) {
    this.registry = registry;
    this.tiers = new Set(tiers);
    const registers = [registry];
    this.outcomes = new Counter({
      name: "condense_validator_verify_total",
      help: "Answers verified, by tier and outcome (ok or a refusal code from REFUSAL_REASONS)",
      labelNames: ["tier", "outcome"],
      registers,
    });
    this.downloadSeconds = new Histogram({
      name: "condense_validator_download_seconds",
      help: "Time to download a container that passed the byte cap and deadline",
      labelNames: ["tier"],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    });
    // every series exists from the start, at 0, so a refusal's first occurrence shows as a rate change
    for (const t of this.tiers) for (const o of ["ok", ...REFUSAL_CODES]) this.outcomes.labels(t, o).inc(0);
  }

  tierLabel(tier: string): string {
    return this.tiers.has(tier) ? tier : "unknown";
  }

  ok(tier: string, downloadMs: number): void {
    this.outcomes.labels(this.tierLabel(tier), "ok").inc();
    this.downloadSeconds.labels(this.tierLabel(tier)).observe(downloadMs / 1000);
  }

  refused(tier: string, code: RefusalCode): void {
    this.outcomes.labels(this.tierLabel(tier), REFUSAL_CODES.includes(code) ? code : "unknown").inc();
  }
}
