// Our dendrite against our axon on loopback, plus hand-built requests for every rejection path.
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Axon, AxonRequestError } from "../../ts/axon/index.js";
import { Dendrite, status } from "../../ts/dendrite/index.js";
import { defineSynapse, field, Metadata, py, required, TextCompressProtocol, BaseSynapse, parseSignatureHex, responseMessage, wasmVerifier } from "../../ts/bittensor/index.js";
import type { Keypair } from "../../ts/wallet/index.js";
import { devKeys, post, signedRequest } from "./helpers.js";

const Hashed = defineSynapse({
  name: "HashedEcho",
  fields: { text: required(py.str()), scores: field(py.list(py.float()), []), reply: field(py.str(), "") },
  requiredHashFields: ["text", "scores"],
});

let keys: Awaited<ReturnType<typeof devKeys>>;
let axon: Axon;
let port: number;
let dendrite: Dendrite;
let failForward = false;
let badForward = false;
let throwInBlacklist = false;

beforeAll(async () => {
  keys = await devKeys();
  axon = new Axon({ wallet: keys.bob, port: 0, ip: "127.0.0.1", maxBodyBytes: 64 * 1024 });
  axon.attach(TextCompressProtocol, {
    blacklist: ({ hotkey }) => {
      if (throwInBlacklist) throw new Error("blacklist bug");
      if (hotkey === keys.eve.address) return { blocked: true, reason: "unknown hotkey" };
      if (hotkey === keys.charlie.address) return { blocked: true, reason: "over budget", status: 429 };
      return { blocked: false };
    },
    forward: async (s, ctx) => {
      if (failForward) throw new Error("backend exploded");
      if (badForward) return { compressed_length: "many" } as unknown as { compressed_length: number };
      if (s.context === "slowpoke") {
        // Outlives a 1 ms timer: an overflowed timeout would have aborted the signal by now.
        await new Promise((r) => setTimeout(r, 20));
        return { compressed_context: ctx.signal.aborted ? "ABORTED" : "SLOWPOKE" };
      }
      if (s.context === "busy") throw new AxonRequestError(503, "Service Unavailable: workers busy");
      if (s.context === "research") return TextCompressProtocol.create({ compressed_kv_url: "http://m/kv.npy" });
      return { compressed_context: `${ctx.hotkey}:${s.context.toUpperCase()}` };
    },
  });
  axon.attach(Metadata, { forward: () => ({ metadata: { tier: "research", tiers: { research: { capacity: 64 } } } }) });
  axon.attach(Hashed, { maxBodyBytes: 1024, forward: (s) => ({ reply: `${s.text}|${s.scores.length}` }) });
  ({ port } = await axon.start());
  dendrite = new Dendrite({ wallet: keys.alice });
});

afterAll(async () => {
  dendrite.close();
  await axon.stop();
});

const target = () => ({ ip: "127.0.0.1", port, hotkey: keys.bob.address });

describe("dendrite -> axon success", () => {
  it("answers TextCompressProtocol with the forward's fields and a 200 terminal info", async () => {
    const r = await dendrite.call(target(), TextCompressProtocol.create({ context: "hello", target_model: "m" }), { timeoutS: 5 });
    expect(r.dendrite.status_code).toBe(200);
    expect(status.isSuccess(r)).toBe(true);
    expect(r.axon.status_message).toBe("Success");
    expect(r.compressed_context).toBe(`${keys.alice.address}:HELLO`);
    expect(r.context).toBe("hello");
    expect(typeof r.axon.process_time).toBe("number");
    expect(r.axon.signature).toBeNull(); // response signing is off by default
  });

  it("serves Metadata and the base Synapse ping route", async () => {
    const m = await dendrite.call(target(), Metadata.create());
    expect(m.dendrite.status_code).toBe(200);
    expect(m.metadata).toEqual({ tier: "research", tiers: { research: { capacity: 64 } } });
    const ping = await dendrite.call(target(), BaseSynapse.create());
    expect(ping.dendrite.status_code).toBe(200);
  });

  it("checks the body hash of a synapse with hashed fields and placeholders for required ones", async () => {
    const r = await dendrite.call(target(), Hashed.create({ text: "it's", scores: [1, 0.5] }));
    expect(r.dendrite.status_code).toBe(200);
    expect(r.reply).toBe("it's|2");
  });

  it("keeps 40 concurrent calls to one axon valid (one uuid lane per in-flight call)", async () => {
    const calls = Array.from({ length: 40 }, (_, i) => dendrite.call(target(), TextCompressProtocol.create({ context: `c${i}` })));
    const rs = await Promise.all(calls);
    expect(rs.map((r) => r.dendrite.status_code)).toEqual(Array(40).fill(200));
    expect(rs.map((r) => r.compressed_context)).toEqual(Array.from({ length: 40 }, (_, i) => `${keys.alice.address}:C${i}`));
  });

  it("forward() fans out with a concurrency cap and keeps input order", async () => {
    const targets = [target(), { ip: "127.0.0.1", port: 1, hotkey: keys.bob.address }, target()];
    const rs = await dendrite.forward(targets, TextCompressProtocol.create({ context: "x" }), { concurrency: 2, timeoutS: 5 });
    expect(rs.map((r) => r.dendrite.status_code)).toEqual([200, 503, 200]);
    expect(rs[1]!.dendrite.status_message).toBe(`Service unavailable at 127.0.0.1:1/TextCompressProtocol`);
  });
});

describe("axon rejections", () => {
  const tc = (from: Keypair, o: Parameters<typeof signedRequest>[4] = {}) => signedRequest(TextCompressProtocol, { context: "x" }, from, keys.bob.address, o);

  it("403 for a blacklisted hotkey, with the Python message", async () => {
    const r = await dendrite.call(target(), TextCompressProtocol.create({ context: "x" }));
    expect(r.dendrite.status_code).toBe(200);
    const eve = new Dendrite({ wallet: keys.eve });
    const b = await eve.call(target(), TextCompressProtocol.create({ context: "x" }));
    eve.close();
    expect(b.dendrite.status_code).toBe(403);
    expect(status.isBlacklist(b)).toBe(true);
    expect(b.dendrite.status_message).toBe("Forbidden. Key is blacklisted: unknown hotkey.");
  });

  it("429 when the blacklist hook asks for it", async () => {
    const r = await post(port, "TextCompressProtocol", tc(keys.charlie));
    expect(r.status).toBe(429);
    expect(r.json["message"]).toBe("Too Many Requests. Key is rate limited: over budget.");
    expect(r.headers.get("bt_header_axon_status_code")).toBe("429");
  });

  it("401 for a replayed nonce, and the first copy succeeds", async () => {
    const req = tc(keys.alice);
    expect((await post(port, "TextCompressProtocol", req)).status).toBe(200);
    const again = await post(port, "TextCompressProtocol", req);
    expect(again.status).toBe(401);
    expect(again.json["message"]).toBe("Not Verified with error: Nonce is too old, a newer one was last processed");
  });

  it("401 for a stale first-seen nonce", async () => {
    const r = await post(port, "TextCompressProtocol", tc(keys.alice, { nonce: BigInt(Date.now() - 60_000) * 1_000_000n, timeoutS: 12 }));
    expect(r.status).toBe(401);
    expect(String(r.json["message"])).toMatch(/^Not Verified with error: Nonce is too old: acceptable delta is 16\.00 seconds but request was \d+\.\d\d seconds old$/);
  });

  it("401 for a bad signature, a missing one, and one made for another axon", async () => {
    const forged = await post(port, "TextCompressProtocol", tc(keys.alice, { signer: keys.eve }));
    expect(forged.status).toBe(401);
    expect(String(forged.json["message"])).toMatch(/^Not Verified with error: Signature mismatch with \d+\.5Grw/);
    const req = tc(keys.alice);
    delete req.headers["bt_header_dendrite_signature"];
    const missing = await post(port, "TextCompressProtocol", req);
    expect(missing.status).toBe(401);
    expect(missing.json["message"]).toBe("Not Verified with error: Missing Signature");
    const other = await post(port, "TextCompressProtocol", signedRequest(TextCompressProtocol, { context: "x" }, keys.alice, keys.charlie.address));
    expect(other.status).toBe(401);
  });

  it("401 for missing or non-ss58 hotkeys and a missing nonce", async () => {
    const noHotkey = tc(keys.alice);
    delete noHotkey.headers["bt_header_dendrite_hotkey"];
    expect(await post(port, "TextCompressProtocol", noHotkey)).toMatchObject({ status: 401, json: { message: "Not Verified with error: Missing dendrite hotkey" } });
    const bad = tc(keys.alice);
    bad.headers["bt_header_dendrite_hotkey"] = "5NotAnAddress";
    const r = await post(port, "TextCompressProtocol", bad);
    expect(r.status).toBe(401);
    expect(String(r.json["message"])).toContain("Invalid dendrite hotkey");
    const badChecksum = tc(keys.alice);
    badChecksum.headers["bt_header_dendrite_hotkey"] = keys.alice.address.slice(0, -1) + (keys.alice.address.endsWith("A") ? "B" : "A");
    expect((await post(port, "TextCompressProtocol", badChecksum)).status).toBe(401);
    const noNonce = tc(keys.alice);
    delete noNonce.headers["bt_header_dendrite_nonce"];
    expect(await post(port, "TextCompressProtocol", noNonce)).toMatchObject({ status: 401, json: { message: "Not Verified with error: Missing Nonce" } });
  });

  it("400 for malformed header values", async () => {
    const badTimeout = tc(keys.alice);
    badTimeout.headers["timeout"] = "soon";
    expect((await post(port, "TextCompressProtocol", badTimeout)).status).toBe(400);
    const badNonce = tc(keys.alice);
    badNonce.headers["bt_header_dendrite_nonce"] = "12abc";
    const r = await post(port, "TextCompressProtocol", badNonce);
    expect(r.status).toBe(400);
    expect(String(r.json["message"])).toContain("bt_header_dendrite_nonce");
  });

  it("400 for malformed JSON and wrong field types, after the signature verified", async () => {
    const malformed = await post(port, "TextCompressProtocol", tc(keys.alice, { bodyOverride: "{not json" }));
    expect(malformed.status).toBe(400);
    expect(String(malformed.json["message"])).toContain("malformed JSON");
    const wrong = await post(port, "TextCompressProtocol", tc(keys.alice, { bodyOverride: JSON.stringify({ context: 5 }) }));
    expect(wrong.status).toBe(400);
    expect(String(wrong.json["message"])).toContain("context: expected str");
    const notObject = await post(port, "TextCompressProtocol", tc(keys.alice, { bodyOverride: "[1,2]" }));
    expect(notObject.status).toBe(400);
  });

  it("413 over the route's body limit, 415 for a non-JSON content type, 404 for unknown synapses", async () => {
    const big = await post(port, "TextCompressProtocol", tc(keys.alice, { bodyOverride: JSON.stringify({ context: "x".repeat(70 * 1024) }) }));
    expect(big.status).toBe(413);
    expect(big.json["message"]).toBe("Request body is larger than the limit of 65536 bytes for /TextCompressProtocol");
    const perRoute = signedRequest(Hashed, { text: "y".repeat(2000) }, keys.alice, keys.bob.address);
    expect((await post(port, "HashedEcho", perRoute)).status).toBe(413);
    const text = tc(keys.alice);
    text.headers["content-type"] = "text/plain";
    expect((await post(port, "TextCompressProtocol", text)).status).toBe(415);
    const unknown = await post(port, "Nope", tc(keys.alice));
    expect(unknown.status).toBe(404);
    expect(unknown.json["message"]).toBe("Synapse name 'Nope' not found. Available synapses ['Synapse', 'TextCompressProtocol', 'Metadata', 'HashedEcho']");
  });

  it("500 for a body that does not match the signed body hash", async () => {
    const req = signedRequest(Hashed, { text: "signed" }, keys.alice, keys.bob.address);
    const body = JSON.parse(req.body) as Record<string, unknown>;
    body["text"] = "tampered";
    const r = await post(port, "HashedEcho", { ...req, body: JSON.stringify(body) });
    expect(r.status).toBe(500);
    // generic like every 500 (the hashes go to the log under the same id)
    expect(String(r.json["message"])).toMatch(/^Internal Server Error #[0-9a-f-]{36}$/);
  });

  it("500 without internals when forward throws; the axon keeps serving", async () => {
    failForward = true;
    try {
      const r = await dendrite.call(target(), TextCompressProtocol.create({ context: "x" }));
      expect(r.dendrite.status_code).toBe(500);
      expect(r.dendrite.status_message).toMatch(/^Internal Server Error #[0-9a-f-]{36}$/);
    } finally {
      failForward = false;
    }
    const ok = await dendrite.call(target(), TextCompressProtocol.create({ context: "after" }));
    expect(ok.dendrite.status_code).toBe(200);
  });
});

describe("robustness and options", () => {
  it("a forward returning a whole new synapse replaces the fields (research tier: context not echoed)", async () => {
    const r = await dendrite.call(target(), TextCompressProtocol.create({ context: "research" }));
    expect(r.dendrite.status_code).toBe(200);
    expect(r.compressed_kv_url).toBe("http://m/kv.npy");
    expect(r.context).toBe("");
  });

  it("a forward may answer with a chosen status by throwing AxonRequestError", async () => {
    const r = await dendrite.call(target(), TextCompressProtocol.create({ context: "busy" }));
    expect(r.dendrite.status_code).toBe(503);
    expect(r.dendrite.status_message).toBe("Service Unavailable: workers busy");
  });

  it("500 when forward returns wrong types or the blacklist hook throws", async () => {
    badForward = true;
    try {
      expect((await dendrite.call(target(), TextCompressProtocol.create({ context: "x" }))).dendrite.status_code).toBe(500);
    } finally {
      badForward = false;
    }
    throwInBlacklist = true;
    try {
      expect((await dendrite.call(target(), TextCompressProtocol.create({ context: "x" }))).dendrite.status_code).toBe(500);
    } finally {
      throwInBlacklist = false;
    }
  });

  it("survives garbage on the socket, invalid HTTP and huge headers", async () => {
    const raw = (payload: string) =>
      new Promise<string>((resolve) => {
        const sock = net.connect(port, "127.0.0.1", () => sock.end(payload));
        let out = "";
        sock.on("data", (d) => (out += d));
        sock.on("close", () => resolve(out));
        sock.on("error", () => resolve(out));
      });
    const garbage = await raw("\x00\x01garbage\r\n\r\n");
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);
    expect(garbage).toContain('{"message":"Bad Request: malformed HTTP request');
    expect(await raw(`POST /TextCompressProtocol HTTP/1.1\r\nHost: x\r\nbt_header_dendrite_hotkey: ${"a".repeat(40_000)}\r\n\r\n`)).toMatch(/^HTTP\/1\.1 431/);
    expect(await raw("POST /TextCompressProtocol HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n{")).toMatch(/^HTTP\/1\.1 400/);
    const ok = await dendrite.call(target(), TextCompressProtocol.create({ context: "still here" }));
    expect(ok.compressed_context).toBe(`${keys.alice.address}:STILL HERE`);
    const text = await axon.metrics.registry.metrics();
    expect(text).toMatch(/condense_axon_requests_total\{synapse="TextCompressProtocol",status="200"\} [1-9]/);
    expect(text).toMatch(/condense_axon_requests_total\{synapse="TextCompressProtocol",status="401"\} [1-9]/);
  });

  it("a huge client timeout does not turn into an instant timer", async () => {
    const r = await post(port, "TextCompressProtocol", signedRequest(TextCompressProtocol, { context: "slowpoke" }, keys.alice, keys.bob.address, { timeoutS: 1e300 }));
    expect(r.status).toBe(200);
    expect(r.json["compressed_context"]).toBe("SLOWPOKE");
  });

  it("signs responses on request, verifiable with the axon's hotkey", async () => {
    const signing = new Axon({ wallet: { hotkey: keys.bob }, port: 0, ip: "127.0.0.1", signResponses: true });
    signing.attach(TextCompressProtocol, { forward: () => ({}) });
    const { port: p } = await signing.start();
    try {
      const r = await dendrite.call({ ip: "127.0.0.1", port: p, hotkey: keys.bob.address }, TextCompressProtocol.create());
      expect(r.dendrite.status_code).toBe(200);
      const msg = responseMessage(r.axon.nonce!, keys.alice.address, keys.bob.address, r.axon.uuid!);
      expect(wasmVerifier(Buffer.from(msg), parseSignatureHex(r.axon.signature!)!, keys.bob.publicKey)).toBe(true);
    } finally {
      await signing.stop();
    }
  });
});
