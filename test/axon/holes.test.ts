// Attacks on the axon from outside (issue 9, "Axon"): growing the nonce table, future nonces, unblacklisted
// routes, an unbounded forward queue, abandoned requests that keep their memory and get computed anyway, big
// integers that hash differently from Python, deep nesting and 500s that leak internals.
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Axon, AxonRequestError, NonceStore } from "../../ts/axon/index.js";
import { defineSynapse, Metadata, py, required, sha3Hex, TextCompressProtocol, field } from "../../ts/bittensor/index.js";
import { Keypair } from "../../ts/wallet/index.js";
import { devKeys, post, signedRequest, type SignedRequest } from "./helpers.js";

const S = 1_000_000_000n;
const nowNs = () => BigInt(Date.now()) * 1_000_000n;

const Big = defineSynapse({
  name: "BigInts",
  fields: { n: required(py.bigint()), data: field(py.any(), null), reply: field(py.str(), "") },
  requiredHashFields: ["n", "data"],
});

let keys: Awaited<ReturnType<typeof devKeys>>;
let axon: Axon;
let port: number;
let unblock: () => void = () => undefined;
let started: () => void = () => undefined;
const computed: string[] = [];
let lastSignal: AbortSignal | null = null;

beforeAll(async () => {
  keys = await devKeys();
  axon = new Axon({
    wallet: keys.bob,
    port: 0,
    ip: "127.0.0.1",
    maxConcurrentForwards: 1,
    maxQueuedForwards: 2,
    // axon-level: applies to every route, the built-in ones included
    blacklist: ({ hotkey }) => (hotkey === keys.alice.address || hotkey === keys.charlie.address ? { blocked: false } : { blocked: true, reason: "not registered" }),
  });
  axon.attach(TextCompressProtocol, {
    forward: async (s, ctx) => {
      if (s.context === "block") {
        started();
        await new Promise<void>((r) => (unblock = r));
      }
      if (s.context === "wait-abort") {
        lastSignal = ctx.signal;
        started();
        await new Promise<void>((r) => ctx.signal.addEventListener("abort", () => r(), { once: true }));
        return { compressed_context: "aborted" };
      }
      if (s.context === "leak") throw new Error("ENOENT: /home/miner/.secret/model.bin");
      if (s.context === "leak500") throw new AxonRequestError(500, "compress_failed: /tmp/condense-x/work.kv");
      computed.push(s.context);
      return { compressed_context: s.context };
    },
  });
  axon.attach(Metadata, { forward: () => ({ metadata: { tier: "research" } }) });
  axon.attach(Big, { forward: (s) => ({ reply: `${s.n}|${JSON.stringify(s.data, (_k, v) => (typeof v === "bigint" ? `big:${v}` : v))}` }) });
  ({ port } = await axon.start());
});
afterAll(() => axon.stop());

const tc = (context: string, from: Keypair = keys.alice, o: Parameters<typeof signedRequest>[4] = {}) =>
  signedRequest(TextCompressProtocol, { context }, from, keys.bob.address, o);

describe("nonce table", () => {
  it("500 fresh unregistered keys on Metadata and the ping route leave no nonce entries", async () => {
    const before = axon.nonces.size;
    for (let i = 0; i < 500; i++) {
      const k = Keypair.fromUri(`//fresh${i}`);
      const route = i % 2 ? "Metadata" : "Synapse";
      const cls = i % 2 ? Metadata : (await import("../../ts/bittensor/index.js")).BaseSynapse;
      const r = await post(port, route, signedRequest(cls as typeof Metadata, {}, k, keys.bob.address, { uuid: "u".repeat(60) }));
      expect(r.status).toBe(403);
    }
    expect(axon.nonces.size).toBe(before);
  });

  it("a uuid longer than a uuid is refused before it is stored", async () => {
    const before = axon.nonces.size;
    const r = await post(port, "TextCompressProtocol", tc("x", keys.alice, { uuid: "u".repeat(8000) }));
    expect(r.status).toBe(401);
    expect(axon.nonces.size).toBe(before);
  });

  it("a nonce from the future (beyond the clock skew) is refused; a slightly early one is fine", async () => {
    const r = await post(port, "TextCompressProtocol", tc("x", keys.alice, { nonce: nowNs() + 3600n * S }));
    expect(r.status).toBe(401);
    expect(String(r.json["message"])).toContain("in the future");
    const ok = await post(port, "TextCompressProtocol", tc("x", keys.alice, { nonce: nowNs() + S }));
    expect(ok.status).toBe(200);
  });

  it("NonceStore: entries are bounded; a new key is refused (not an old one evicted) while full", () => {
    const store = new NonceStore({ maxEntries: 100 });
    const now = 1_000_000n * S;
    for (let i = 0; i < 1000; i++) {
      const c = store.check(`k${i}`, now, 12, now);
      if (c.ok) store.record(`k${i}`, now);
    }
    expect(store.size).toBe(100);
    const full = store.check("new", now, 12, now);
    expect(full.ok).toBe(false);
    if (!full.ok) expect(full.code).toBe("nonce_table_full");
    // a known key keeps working, and its replay is still refused
    expect(store.check("k0", now, 12, now).ok).toBe(false);
    expect(store.check("k0", now + 1n, 12, now).ok).toBe(true);
    // once the entries are past the widest window they are swept and new keys get in
    const later = now + 400n * S;
    expect(store.check("new", later, 12, later).ok).toBe(true);
  });
});

describe("forward queue", () => {
  it("is bounded: with the slot held and the queue full, the next request is refused at once with 503", async () => {
    const holding = new Promise<void>((r) => (started = r));
    const first = post(port, "TextCompressProtocol", tc("block", keys.alice, { timeoutS: 30 }));
    await holding;
    const q1 = post(port, "TextCompressProtocol", tc("q1", keys.alice, { timeoutS: 30 }));
    const q2 = post(port, "TextCompressProtocol", tc("q2", keys.alice, { timeoutS: 30 }));
    await until(() => axon.gateWaiting === 2);
    const t0 = performance.now();
    const refused = await post(port, "TextCompressProtocol", tc("q3", keys.alice, { timeoutS: 30 }));
    expect(refused.status).toBe(503);
    expect(performance.now() - t0).toBeLessThan(1000);
    unblock();
    expect((await first).status).toBe(200);
    expect((await q1).status).toBe(200);
    expect((await q2).status).toBe(200);
  });

  it("a client that disconnects while queued leaves the queue and is never computed", async () => {
    computed.length = 0;
    const holding = new Promise<void>((r) => (started = r));
    const first = post(port, "TextCompressProtocol", tc("block", keys.alice, { timeoutS: 30 }));
    await holding;
    const abandoned = [rawPost(tc("gone1", keys.alice, { timeoutS: 30 })), rawPost(tc("gone2", keys.alice, { timeoutS: 30 }))];
    await until(() => axon.gateWaiting === 2);
    for (const a of abandoned) a.destroy();
    await until(() => axon.gateWaiting === 0);
    unblock();
    expect((await first).status).toBe(200);
    const after = await post(port, "TextCompressProtocol", tc("after", keys.alice));
    expect(after.status).toBe(200);
    expect(computed).toEqual(["block", "after"]); // never gone1/gone2
  });

  it("a client that disconnects during forward aborts the forward's signal", async () => {
    lastSignal = null;
    const holding = new Promise<void>((r) => (started = r));
    const req = rawPost(tc("wait-abort", keys.alice, { timeoutS: 60 }));
    await holding;
    expect(lastSignal!.aborted).toBe(false);
    req.destroy();
    await until(() => lastSignal!.aborted);
  });
});

describe("hashing and parsing", () => {
  it("integers above 2^53 keep their digits and hash as Python's str() does", async () => {
    const n = "123456789012345678901234567890";
    const inner = "18446744073709551617";
    const nonce = nowNs();
    // Python: sha3(sha3(str(n)) + sha3(str({'k': [inner, 1.5]})))
    const hash = sha3Hex(sha3Hex(n) + sha3Hex(`{'k': [${inner}, 1.5]}`));
    const req = signedRequest(Big, { n: 0n }, keys.alice, keys.bob.address, { nonce });
    const body = JSON.parse(req.body) as Record<string, unknown>;
    const text = JSON.stringify({ ...body, n: "__N__", data: { k: ["__I__", 1.5] } }).replace('"__N__"', n).replace('"__I__"', inner);
    const signed = resignWithHash(req, hash, nonce);
    const r = await post(port, "BigInts", { headers: signed.headers, body: text });
    expect(r.status).toBe(200);
    expect(r.json["reply"]).toBe(`${n}|{"k":["big:${inner}",1.5]}`);
  });

  it("a body nested 50,000 deep gets 400, at the top level and inside an untyped field", async () => {
    const deep = "[".repeat(50_000) + "]".repeat(50_000);
    const r1 = await post(port, "BigInts", signedRequest(Big, { n: 1n }, keys.alice, keys.bob.address, { bodyOverride: deep }));
    expect(r1.status).toBe(400);
    const req = signedRequest(Big, { n: 1n }, keys.alice, keys.bob.address);
    const body = req.body.replace('"data":null', `"data":${deep}`);
    const r2 = await post(port, "BigInts", { ...req, body });
    expect(r2.status).toBe(400);
    expect(String(r2.json["message"])).toContain("nested");
    expect((await post(port, "TextCompressProtocol", tc("still up"))).status).toBe(200);
  });
});

describe("500s", () => {
  it("carry a generic message with a request id, never the exception text or a local path", async () => {
    for (const ctx of ["leak", "leak500"]) {
      const r = await post(port, "TextCompressProtocol", tc(ctx));
      expect(r.status).toBe(500);
      expect(String(r.json["message"])).toMatch(/^Internal Server Error #[0-9a-f-]{36}$/);
      for (const v of r.headers.values()) expect(v).not.toMatch(/secret|condense-x|ENOENT/);
    }
  });
});

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 10));
  }
}

function rawPost(req: SignedRequest): http.ClientRequest {
  const c = http.request({ host: "127.0.0.1", port, path: "/TextCompressProtocol", method: "POST", headers: req.headers });
  c.on("error", () => undefined);
  c.end(req.body);
  return c;
}

function resignWithHash(req: SignedRequest, hash: string, nonce: bigint): SignedRequest {
  const h: Record<string, string> = { ...req.headers, computed_body_hash: hash };
  const uuid = h["bt_header_dendrite_uuid"]!;
  h["bt_header_dendrite_signature"] = keys.alice.signHex(`${nonce}.${keys.alice.address}.${keys.bob.address}.${uuid}.${hash}`);
  return { headers: h, body: req.body };
}
