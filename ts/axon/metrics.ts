// Prometheus metrics of the axon: requests by synapse and status, and handling time of answered requests.
import { Counter, Histogram, Registry } from "prom-client";

export class AxonMetrics {
  readonly requests: Counter<"synapse" | "status">;
  readonly seconds: Histogram<"synapse">;

  constructor(readonly registry: Registry = new Registry()) {
    this.requests = new Counter({ name: "condense_axon_requests_total", help: "Axon requests by synapse and HTTP status", labelNames: ["synapse", "status"], registers: [registry] });
    this.seconds = new Histogram({
      name: "condense_axon_request_seconds",
      help: "Time from handler start to response, by synapse",
      labelNames: ["synapse"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60],
      registers: [registry],
    });
  }

  observe(synapse: string, status: number, startMs: number | undefined): void {
    this.requests.inc({ synapse, status: String(status) });
    if (startMs !== undefined) this.seconds.observe({ synapse }, (performance.now() - startMs) / 1000);
  }
}
