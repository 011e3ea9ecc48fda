// The organic API attacked from outside: bad keys, a key over its rate, bodies it must refuse, a routed request
// whose first miner fails (real axons on loopback, through the dendrite), and its OpenAPI document.
import Database from "better-sqlite3";
import Fastify, { type FastifyInstance } from "fastify";
import { Validator } from "@seriousme/openapi-schema-validator";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Axon, AxonRequestError } from "../../../ts/axon/index.js";
import { TextCompressProtocol } from "../../../ts/bittensor/protocols.js";
import { Dendrite } from "../../../ts/dendrite/dendrite.js";
import { ApiKeyStore, OrganicRouter, orderCandidates, organicPlugin, hashApiKey, type OrganicCandidate, type ForwardOutcome } from "../../../ts/validator/organic/index.js";
import { dendriteForward } from "../../../ts/validator/organic/forward.js";
import { devKeys } from "../../axon/helpers.js";
import { migrate } from "../../../ts/validator/state/index.js";

const stateDb = () => {
  const db = new Database(":memory:");
  migrate(db);
  return db;
};

const TIERS = { research: { supporting_models: ["m/target"], max_context_length_in_chars: 100 } };
const body = (o: Record<string, unknown> = {}) => ({ context: "a context", tier: "research", target_model: "m/target", ...o });

async function appWith(opts: { forward: (c: OrganicCandidate) => Promise<ForwardOutcome> | ForwardOutcome; candidates?: OrganicCandidate[]; rate?: number }) {
  const db = stateDb();
  const keys = new ApiKeyStore(db);
  const { key } = keys.create("client", opts.rate ?? 100);
  const tried: number[] = [];
  const router = new OrganicRouter({
    candidates: () => opts.candidates ?? [cand(1, 0.9), cand(2, 0.5)],
    forward: async (c) => {
      tried.push(c.uid);
      return opts.forward(c);
    },
    random: () => 0.5,
  });
  const app = Fastify();
  await app.register(organicPlugin, { keys, router, tiers: TIERS });
  await app.ready();
  return { app, key, keys, db, tried };
}
const cand = (uid: number, score: number, capacityLeft = 10): OrganicCandidate => ({ uid, hotkey: `hk${uid}`, ip: "127.0.0.1", port: 1, score, capacityLeft });
const ok = (uid: number): ForwardOutcome => ({ kind: "ok", url: `http://x/${uid}`, keptTokens: 128, originalTokens: 512, expiresAt: Date.UTC(2030, 0, 1), latencyMs: 1 });
const post = (app: FastifyInstance, key: string | null, payload: unknown, extra: Record<string, string> = {}) =>
  app.inject({ method: "POST", url: "/v1/condense", headers: { ...(key !== null ? { authorization: `Bearer ${key}` } : {}), "content-type": "application/json", ...extra }, payload: typeof payload === "string" ? payload : JSON.stringify(payload) });

describe("organic API: keys and limits", () => {
  it("answers 401 with a stable code for a missing, unknown, malformed or revoked key, and routes nothing", async () => {
    const { app, key, keys, tried } = await appWith({ forward: (c) => ok(c.uid) });
    for (const k of [null, "cnd_unknown", "not a key at all", key + "x"]) {
      const r = await post(app, k, body());
      expect(r.statusCode).toBe(401);
      expect(r.json().error.code).toBe("unauthorized");
    }
    keys.revoke("client");
    expect((await post(app, key, body())).statusCode).toBe(401);
    expect(tried).toEqual([]);
  });

  it("stores only the key's hash", async () => {
    const { key, db } = await appWith({ forward: (c) => ok(c.uid) });
    const rows = db.prepare("SELECT * FROM organic_api_keys").all() as Array<Record<string, unknown>>;
    expect(JSON.stringify(rows)).not.toContain(key);
    expect(rows[0]!.key_sha256).toBe(hashApiKey(key));
  });

  it("answers 429 once a key is over its rate, without routing the refused requests", async () => {
    const { app, key, tried } = await appWith({ forward: (c) => ok(c.uid), rate: 3 });
    const codes = [];
    for (let i = 0; i < 5; i++) codes.push((await post(app, key, body())).statusCode);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    const r = await post(app, key, body());
    expect(r.json().error.code).toBe("rate_limited");
    expect(tried.length).toBe(3);
  });

  it("refuses bad bodies with 400 codes before routing", async () => {
    const { app, key, tried } = await appWith({ forward: (c) => ok(c.uid) });
    const cases: Array<[unknown, string]> = [
      ["{not json", "bad_request"],
      [{ context: "x" }, "bad_request"],
      [body({ extra: 1 }), "bad_request"],
      [body({ miner_uid: -1 }), "bad_request"],
      [body({ tier: "nope" }), "unknown_tier"],
      [body({ tier: "__proto__" }), "unknown_tier"],
      [body({ target_model: "other" }), "unsupported_model"],
      [body({ context: "é".repeat(101) }), "context_too_long"],
    ];
    for (const [p, code] of cases) {
      const r = await post(app, key, p);
      expect([r.statusCode, r.json().error.code]).toEqual([400, code]);
    }
    const big = await post(app, key, body({ context: "x".repeat(100 * 4 + 5000) }));
    expect([big.statusCode, big.json().error.code]).toEqual([413, "body_too_large"]);
    expect(tried).toEqual([]);
  });
});

describe("organic API: routing", () => {
  it("falls back in order when the first miner fails, and reports what it tried when all fail", async () => {
    const fails: Record<number, ForwardOutcome> = { 1: { kind: "server_error", status: 503, message: "down", latencyMs: 1 } };
    const { app, key, tried } = await appWith({ forward: (c) => fails[c.uid] ?? ok(c.uid) });
    const r = await post(app, key, body());
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ url: "http://x/2", miner_uid: 2, kept_tokens: 128, original_tokens: 512, expires_at: "2030-01-01T00:00:00.000Z" });
    expect(tried).toEqual([1, 2]);

    fails[2] = { kind: "rate_limited", status: 429, message: "busy", latencyMs: 1 };
    const all = await post(app, key, body());
    expect(all.statusCode).toBe(502);
    expect(all.json().error).toMatchObject({ code: "upstream_failed", attempts: [{ miner_uid: 1, outcome: "server_error 503" }, { miner_uid: 2, outcome: "rate_limited 429" }] });
  });

  it("routes a pinned miner_uid only to that miner, 404 when it is not a contender, 503 when no capacity is left", async () => {
    const { app, key, tried } = await appWith({ forward: (c) => ok(c.uid), candidates: [cand(1, 0.9), cand(2, 0.5), cand(3, 0.7, 0)] });
    expect((await post(app, key, body({ miner_uid: 2 }))).json().miner_uid).toBe(2);
    expect(tried).toEqual([2]);
    expect((await post(app, key, body({ miner_uid: 9 }))).json().error.code).toBe("miner_not_found");
    const r = await post(app, key, body({ miner_uid: 3 }));
    expect([r.statusCode, r.json().error.code]).toEqual([503, "no_miner_available"]);
  });

  it("orders by score within the top fraction and never routes to miners without capacity", () => {
    const cs = [cand(1, 0.1), cand(2, 0.9), cand(3, 0.5), cand(4, 0.8, 0), cand(5, 0)];
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const firsts = new Map<number, number>();
    for (let i = 0; i < 2000; i++) {
      const o = orderCandidates(cs, { topFraction: 0.6, random });
      expect(o.map((c) => c.uid).sort()).toEqual([2, 3]);
      firsts.set(o[0]!.uid, (firsts.get(o[0]!.uid) ?? 0) + 1);
    }
    expect(firsts.get(2)!).toBeGreaterThan(firsts.get(3)!);
    // Nobody scored yet: every contender with capacity, none without.
    expect(orderCandidates([cand(1, 0), cand(2, 0, 0)], { topFraction: 0.5, random }).map((c) => c.uid)).toEqual([1]);
  });
});

describe("organic API: through the dendrite to real axons", () => {
  let axons: Axon[] = [];
  afterAll(async () => {
    for (const a of axons) await a.stop();
  });

  it("falls back from a miner answering 503 to one that answers, and counts both attempts", async () => {
    const { alice, bob, charlie } = await devKeys();
    const broken = new Axon({ wallet: bob, port: 0, ip: "127.0.0.1" }).attach(TextCompressProtocol, { forward: () => { throw new AxonRequestError(503, "pool down"); } });
    const good = new Axon({ wallet: charlie, port: 0, ip: "127.0.0.1" }).attach(TextCompressProtocol, {
      forward: (s) => ({ compressed_kv_url: `http://127.0.0.1/c/${s.context.length}.safetensors`, compressed_length: 130, original_length: 700, expires_at: 1900000000 }),
    });
    axons = [broken, good];
    const [pb, pg] = [(await broken.start()).port, (await good.start()).port];
    const dendrite = new Dendrite({ wallet: alice });
    const recorded: string[] = [];
    const keys = new ApiKeyStore(stateDb());
    const { key } = keys.create("c", 10);
    const router = new OrganicRouter({
      candidates: () => [
        { uid: 1, hotkey: bob.address, ip: "127.0.0.1", port: pb, score: 0.9, capacityLeft: 5 },
        { uid: 2, hotkey: charlie.address, ip: "127.0.0.1", port: pg, score: 0.5, capacityLeft: 5 },
      ],
      forward: dendriteForward(dendrite, { timeoutMs: () => 5000 }),
      record: (c, _r, o) => recorded.push(`${c.uid}:${o.kind}`),
      random: () => 0.5,
    });
    const app = Fastify();
    await app.register(organicPlugin, { keys, router, tiers: TIERS });
    const r = await post(app, key, body({ context: "twelve chars" }));
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ url: "http://127.0.0.1/c/12.safetensors", miner_uid: 2, kept_tokens: 130, original_tokens: 700, expires_at: new Date(1900000000 * 1000).toISOString() });
    expect(recorded).toEqual(["1:server_error", "2:ok"]);
    dendrite.close();
    await app.close();
  });
});

describe("organic API: OpenAPI", () => {
  let app: FastifyInstance;
  beforeAll(async () => {
    app = (await appWith({ forward: (c) => ok(c.uid) })).app;
  });
  it("serves a document that validates as OpenAPI and lists every error code", async () => {
    const r = await app.inject({ method: "GET", url: "/openapi.json" });
    expect(r.statusCode).toBe(200);
    const doc = r.json();
    const v = new Validator();
    const res = await v.validate(doc);
    expect(res.errors ?? []).toEqual([]);
    expect(res.valid).toBe(true);
    const text = JSON.stringify(doc.paths["/v1/condense"].post.responses);
    for (const code of ["unauthorized", "rate_limited", "upstream_failed", "no_miner_available", "body_too_large"]) expect(text).toContain(code);
  });
});
