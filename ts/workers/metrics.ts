// Prometheus metrics of one pool, registered on the registry the caller passes (or a private one).
import { Counter, Gauge, Histogram, Registry } from "prom-client";

export class PoolMetrics {
  readonly registry: Registry;
  readonly queueDepth: Gauge;
  readonly inflight: Gauge<"worker">;
  readonly liveWorkers: Gauge;
  readonly requestDuration: Histogram<"kind" | "outcome">;
  readonly restarts: Counter<"worker">;
  readonly rejected: Counter<"reason">;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.queueDepth = new Gauge({ name: "condense_worker_queue_depth", help: "Requests waiting for a free worker slot", registers });
    this.inflight = new Gauge({ name: "condense_worker_inflight", help: "Requests being handled, per worker", labelNames: ["worker"], registers });
    this.liveWorkers = new Gauge({ name: "condense_workers_live", help: "Workers that said Hello and are alive", registers });
    this.requestDuration = new Histogram({
      name: "condense_worker_request_duration_seconds",
      help: "Pool request duration from admission to reply, by request kind and outcome",
      labelNames: ["kind", "outcome"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.restarts = new Counter({ name: "condense_worker_restarts_total", help: "Local worker restarts", labelNames: ["worker"], registers });
    this.rejected = new Counter({
      name: "condense_worker_rejected_total",
      help: "Requests refused at admission (overloaded, no_worker, closed)",
      labelNames: ["reason"],
      registers,
    });
  }
}
