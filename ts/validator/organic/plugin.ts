// The organic API as a fastify plugin: bearer API keys (stored hashed), a per-key rate limit, POST /v1/condense
// routed through the OrganicRouter, GET /openapi.json. Errors are JSON `{error: {code, message}}` with the status
// from ORGANIC_ERRORS. /healthz and /metrics come from the operations app this plugin is registered into.
import rateLimit from "@fastify/rate-limit";
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { Counter, Histogram, type Registry } from "prom-client";
import { OrganicError, type OrganicErrorCode } from "./errors.js";
import type { ApiKeyRecord } from "./keys.js";
import { openApiDocument } from "./openapi.js";
import type { OrganicRouter } from "./router.js";
import { CondenseRequestSchema, type CondenseResponse } from "./schema.js";

/** What the API checks a request against before routing it (the tier table's view). */
export interface OrganicTier {
  supporting_models: readonly string[];
  max_context_length_in_chars: number;
}

export interface OrganicPluginOptions {
  keys: { lookup(key: string): ApiKeyRecord | null };
  router: OrganicRouter;
  tiers: Readonly<Record<string, OrganicTier>>;
  /** Characters of a context as the subnet counts them (Python len: code points). */
  contextChars?: (s: string) => number;
  /** Rate-limit window; a key's `ratePerMinute` requests are allowed per window (default 60 s). */
  rateWindowMs?: number;
  /** Keys tracked by the rate limiter at once (an LRU; default 10,000). */
  rateCacheSize?: number;
  /** Whole request timeout; the router's attempts share it (default 60 s). */
  timeoutMs?: number;
  registry?: Registry;
  version?: string;
}

declare module "fastify" {
  interface FastifyRequest {
    organicKey?: ApiKeyRecord;
  }
}

const codePoints = (s: string): number => {
  let n = 0;
  for (const _ of s) n++;
  return n;
};

function sendError(reply: FastifyReply, e: OrganicError): FastifyReply {
  return reply.code(e.status).type("application/json").send(e.toJSON());
}

export const organicPlugin: FastifyPluginAsync<OrganicPluginOptions> = async (app, opts) => {
  const chars = opts.contextChars ?? codePoints;
  const maxChars = Math.max(0, ...Object.values(opts.tiers).map((t) => t.max_context_length_in_chars));
  const requests = new Counter({ name: "condense_organic_requests_total", help: "organic API requests by outcome code", labelNames: ["code"] as const, registers: opts.registry ? [opts.registry] : [] });
  const latency = new Histogram({ name: "condense_organic_latency_seconds", help: "organic requests answered 200, end to end", buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30], registers: opts.registry ? [opts.registry] : [] });
  const fail = (reply: FastifyReply, e: OrganicError) => {
    requests.inc({ code: e.code });
    return sendError(reply, e);
  };

  app.setErrorHandler((err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
    if (err instanceof OrganicError) return fail(reply, err);
    if (err.code === "FST_ERR_CTP_BODY_TOO_LARGE") return fail(reply, new OrganicError("body_too_large"));
    if (err.statusCode === 400 || err.code?.startsWith("FST_ERR_CTP")) return fail(reply, new OrganicError("bad_request", "the body is not valid JSON"));
    req.log.error({ err }, "organic API error");
    return fail(reply, new OrganicError("internal", `internal error (request ${req.id})`));
  });

  app.get("/openapi.json", async () => openApiDocument(opts.version ?? "0.1.0"));

  await app.register(async (v1) => {
    v1.addHook("onRequest", async (req) => {
      const m = /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(req.headers.authorization ?? "");
      const rec = m ? opts.keys.lookup(m[1]!) : null;
      if (!rec || rec.revoked) throw new OrganicError("unauthorized");
      req.organicKey = rec;
    });
    await v1.register(rateLimit, {
      hook: "onRequest",
      timeWindow: opts.rateWindowMs ?? 60_000,
      cache: opts.rateCacheSize ?? 10_000,
      keyGenerator: (req) => String(req.organicKey!.id),
      max: (req) => req.organicKey!.ratePerMinute,
      errorResponseBuilder: (_req, ctx) => new OrganicError("rate_limited", `over ${ctx.max} requests per ${ctx.after}`),
    });

    // Bodies larger than the largest tier's context (4 bytes per character at most, plus the other fields) are
    // refused while streaming in, before they are buffered whole.
    v1.post("/v1/condense", { bodyLimit: maxChars * 4 + 4096 }, async (req, reply) => {
      const started = performance.now();
      const parsed = CondenseRequestSchema.safeParse(req.body);
      if (!parsed.success) throw new OrganicError("bad_request", parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; "));
      const body = parsed.data;
      const tier = Object.hasOwn(opts.tiers, body.tier) ? opts.tiers[body.tier] : undefined;
      if (!tier) throw new OrganicError("unknown_tier", `unknown tier '${body.tier}' (known: ${Object.keys(opts.tiers).join(", ")})`);
      if (!tier.supporting_models.includes(body.target_model)) throw new OrganicError("unsupported_model", `tier ${body.tier} serves ${tier.supporting_models.join(", ")}, not ${body.target_model}`);
      const n = chars(body.context);
      if (n > tier.max_context_length_in_chars) throw new OrganicError("context_too_long", `the context has ${n} characters; tier ${body.tier} allows ${tier.max_context_length_in_chars}`);

      const abort = new AbortController();
      const timer = setTimeout(() => abort.abort(), opts.timeoutMs ?? 60_000);
      req.raw.once("close", () => req.raw.readableAborted && abort.abort());
      try {
        const r = await opts.router.route({ context: body.context, tier: body.tier, targetModel: body.target_model, ...(body.miner_uid !== undefined ? { minerUid: body.miner_uid } : {}), ...(body.top_fraction !== undefined ? { topFraction: body.top_fraction } : {}) }, abort.signal);
        const out: CondenseResponse = {
          url: r.outcome.url,
          miner_uid: r.candidate.uid,
          kept_tokens: r.outcome.keptTokens,
          original_tokens: r.outcome.originalTokens,
          expires_at: r.outcome.expiresAt === null ? null : new Date(r.outcome.expiresAt).toISOString(),
        };
        requests.inc({ code: "ok" });
        latency.observe((performance.now() - started) / 1000);
        return reply.code(200).send(out);
      } finally {
        clearTimeout(timer);
      }
    });
  });
};

export type { OrganicErrorCode };
