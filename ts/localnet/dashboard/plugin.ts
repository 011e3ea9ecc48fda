// The dashboard as a fastify plugin: GET / is one static page (page.html, its script inline), GET /api/state
// the JSON it draws. Read-only by construction: GET and HEAD only (anything else 405), a snapshot function
// that only reads. The page is served with a Content-Security-Policy that allows exactly its own inline
// script and style (by hash) and fetches from itself, so a miner-supplied string that slipped past the
// page's text-only rendering still could not run. Host names other than loopback are refused (403): a web
// page the operator visits cannot reach this through DNS rebinding.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { FastifyPluginAsync, FastifyReply } from "fastify";
import type { DashboardSnapshot } from "./snapshot.js";

export const DASHBOARD_PAGE = fileURLToPath(new URL("./page.html", import.meta.url));
export const DASHBOARD_API = "/api/state";
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
const WRITE_METHODS = ["DELETE", "PATCH", "POST", "PUT", "OPTIONS"] as const;

export interface DashboardPluginOptions {
  snapshot: () => DashboardSnapshot;
}

const sha256 = (s: string) => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`;

/** The page and its CSP: the hashes of its one inline script and one inline style block. */
export function loadDashboardPage(file: string = DASHBOARD_PAGE): { html: string; csp: string } {
  let html: string;
  try {
    html = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`the dashboard page ${file} cannot be read (${(e as Error).message}); it ships beside ts/localnet/dashboard/plugin.ts`, { cause: e });
  }
  const script = /<script>([\s\S]*?)<\/script>/.exec(html)?.[1];
  const style = /<style>([\s\S]*?)<\/style>/.exec(html)?.[1];
  if (script === undefined || style === undefined) throw new Error(`the dashboard page ${file} has no inline <script> or <style> block`);
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(style)}`,
    "connect-src 'self'",
    "img-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join("; ");
  return { html, csp };
}

export const dashboardPlugin: FastifyPluginAsync<DashboardPluginOptions> = async (app, opts) => {
  const page = loadDashboardPage();
  const refuseMethod = (method: string, reply: FastifyReply) =>
    reply.code(405).header("Allow", "GET, HEAD").type("application/json").send({ error: { code: "METHOD_NOT_ALLOWED", message: `${method} is refused: the dashboard is read-only (GET)` } });
  // In onRequest, before any body is read or parsed.
  app.addHook("onRequest", async (req, reply) => {
    if (!LOOPBACK_HOSTS.has(req.hostname)) return reply.code(403).type("application/json").send({ error: { code: "HOST_REFUSED", message: "the dashboard answers only to 127.0.0.1 or localhost" } });
    reply.header("X-Content-Type-Options", "nosniff").header("Cache-Control", "no-store").header("Referrer-Policy", "no-referrer");
    if (req.method !== "GET" && req.method !== "HEAD") return refuseMethod(req.method, reply);
  });
  app.get("/", async (_req, reply) => reply.type("text/html; charset=utf-8").header("Content-Security-Policy", page.csp).header("X-Frame-Options", "DENY").send(page.html));
  app.get(DASHBOARD_API, async (_req, reply) => reply.type("application/json; charset=utf-8").send(opts.snapshot()));
  // Routes for the other methods so they reach the hook above (an unrouted method would be a plain 404).
  for (const url of ["/", DASHBOARD_API]) app.route({ method: [...WRITE_METHODS], url, handler: async (req, reply) => refuseMethod(req.method, reply) });
};
