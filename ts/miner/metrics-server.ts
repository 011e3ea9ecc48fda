// Serves the miner's Prometheus registry (miner and worker-pool metrics) at GET /metrics.
import Fastify, { type FastifyInstance } from "fastify";
import type { Registry } from "prom-client";

export async function startMetricsServer(registry: Registry, host: string, port: number): Promise<{ port: number; close: () => Promise<void> }> {
  const app: FastifyInstance = Fastify({ logger: false });
  app.get("/metrics", async (_req, reply) => {
    reply.header("content-type", registry.contentType);
    return registry.metrics();
  });
  await app.listen({ host, port });
  const addr = app.server.address();
  return { port: addr && typeof addr === "object" ? addr.port : port, close: () => app.close() };
}
