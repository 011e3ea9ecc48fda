// The operations HTTP app every neuron serves on its own port: Prometheus `/metrics` and `/healthz`
// (the worker pool's workers). Built from fastify plugins so a role can register more; one table maps
// each error code to the status this app answers with.
import Fastify, { type FastifyInstance, type FastifyPluginAsync } from "fastify";
import type { Registry } from "prom-client";
import type { WorkerInfo } from "../workers/index.js";

export const OPS_ERRORS = {
  not_found: 404,
  unhealthy: 503,
  internal: 500,
} as const;

export type OpsErrorCode = keyof typeof OPS_ERRORS;

export class OpsError extends Error {
  override readonly name = "OpsError";
  constructor(
    readonly code: OpsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface HealthReport {
  status: "ok" | "degraded" | "down";
  workers: Array<{ id: string; state: string; inflight: number; restarts: number; model: string | undefined; device: string | undefined }>;
}

/** ok: every worker ready; degraded: some; down: none (or no workers at all). */
export function healthOf(workers: ReadonlyArray<WorkerInfo>): HealthReport {
  const ready = workers.filter((w) => w.state === "ready").length;
  return {
    status: workers.length > 0 && ready === workers.length ? "ok" : ready > 0 ? "degraded" : "down",
    workers: workers.map((w) => ({ id: w.id, state: w.state, inflight: w.inflight, restarts: w.restarts, model: w.hello?.model, device: w.hello?.device })),
  };
}

export const metricsPlugin: FastifyPluginAsync<{ registry: Registry }> = async (app, { registry }) => {
  app.get("/metrics", async (_req, reply) => {
    reply.header("content-type", registry.contentType);
    return registry.metrics();
  });
};

export const healthPlugin: FastifyPluginAsync<{ health: () => HealthReport }> = async (app, { health }) => {
  app.get("/healthz", async (_req, reply) => {
    const h = health();
    // 503 tells a load balancer or supervisor that no worker can serve; the body says which.
    reply.code(h.status === "down" ? OPS_ERRORS.unhealthy : 200);
    return h;
  });
};

export interface OpsAppOptions {
  registry: Registry;
  /** Absent: /healthz reports only that the process is up. */
  health?: () => HealthReport;
  /** A role's own routes (fastify plugins), registered after /metrics and /healthz. */
  plugins?: ReadonlyArray<FastifyPluginAsync>;
}

export async function buildOpsApp(opts: OpsAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.setNotFoundHandler((req, reply) => {
    const e = new OpsError("not_found", `no route ${req.method} ${req.url.split("?")[0]}`);
    void reply.code(OPS_ERRORS[e.code]).send({ error: e.code, message: e.message });
  });
  app.setErrorHandler((err, _req, reply) => {
    const code: OpsErrorCode = err instanceof OpsError ? err.code : "internal";
    // Internal detail stays in the process; the answer names only the code.
    void reply.code(OPS_ERRORS[code]).send({ error: code, message: err instanceof OpsError ? err.message : "internal error" });
  });
  await app.register(metricsPlugin, { registry: opts.registry });
  await app.register(healthPlugin, { health: opts.health ?? (() => ({ status: "ok", workers: [] })) });
  for (const p of opts.plugins ?? []) await app.register(p);
  return app;
}

export async function startOpsApp(opts: OpsAppOptions & { host: string; port: number }): Promise<{ port: number; app: FastifyInstance; close: () => Promise<void> }> {
  const app = await buildOpsApp(opts);
  await app.listen({ host: opts.host, port: opts.port });
  const addr = app.server.address();
  return { port: addr && typeof addr === "object" ? addr.port : opts.port, app, close: () => app.close() };
}
