// btauth/1 golden vectors from the real SDK (bittensor 11.x `http_auth`, test/interop/py/btauth_vectors.py):
// our payload bytes equal the SDK's for every signed request, our verifier accepts the SDK's signatures
// (sr25519 and ed25519) and gives the SDK's outcome for every good and mutated header set. The committed JSON
// runs without the SDK; when .venv-bt11 exists the generator is rerun and must agree on everything that is
// deterministic (sr25519 signatures are randomised).
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { BtauthError, BtauthReplayStore, btauthPayload, signBtauth, verifyBtauth, cryptoReady, type BtauthScheme } from "../../ts/bittensor/index.js";
import { Keypair } from "../../ts/wallet/index.js";

interface SignVector { name: string; method: string; path: string; body_hex: string; receiver: string | null; nonce: string; sender: string; scheme: BtauthScheme; headers: Record<string, string>; payload_hex: string }
interface VerifyVector { name: string; headers: Record<string, string>; body_hex: string; method: string; path: string; self: string; now: string; require_receiver: boolean; expect: string }
interface Vectors { sdk: string; sign: SignVector[]; verify: VerifyVector[]; replay: string[] }

const FILE = "test/interop/py/btauth_vectors.json";
const vectors = JSON.parse(readFileSync(FILE, "utf8")) as Vectors;
const PY_CLASS: Record<string, string> = { MalformedAuth: "malformed", WrongReceiver: "wrong_receiver", StaleRequest: "stale", BadSignature: "bad_signature", ReplayedRequest: "replayed" };

const lower = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));

function outcome(v: VerifyVector, store = new BtauthReplayStore()): string {
  try {
    verifyBtauth(lower(v.headers), Buffer.from(v.body_hex, "hex"), { method: v.method, path: v.path, self: v.self, nowNs: BigInt(v.now), replay: store, requireReceiver: v.require_receiver });
    return "ok";
  } catch (e) {
    if (e instanceof BtauthError) return e.code;
    throw e;
  }
}

beforeAll(async () => {
  await cryptoReady();
});

describe(`btauth/1 golden vectors (bittensor ${vectors.sdk})`, () => {
  it("the vectors cover sr25519, ed25519, queries, empty and binary bodies, unbound receivers, and every refusal", () => {
    expect(vectors.sign.map((s) => s.scheme)).toContain("ed25519");
    expect(new Set(vectors.verify.map((v) => v.expect))).toEqual(new Set(["ok", ...Object.keys(PY_CLASS).filter((k) => k !== "ReplayedRequest")]));
    expect(vectors.replay).toEqual(["ok", "ReplayedRequest"]);
  });

  it.each(vectors.sign.map((s) => [s.name, s] as const))("payload bytes equal the SDK's: %s", (_n, s) => {
    const payload = btauthPayload({ scheme: s.scheme, method: s.method, path: s.path, body: Buffer.from(s.body_hex, "hex"), nonce: BigInt(s.nonce), sender: s.sender, receiver: s.receiver });
    expect(payload.toString("hex")).toBe(s.payload_hex);
  });

  it.each(vectors.verify.map((v) => [v.name, v] as const))("same outcome as the SDK's verify: %s", (_n, v) => {
    expect(outcome(v)).toBe(v.expect === "ok" ? "ok" : PY_CLASS[v.expect]);
  });

  it("replay: the second copy is refused, as by the SDK", () => {
    const store = new BtauthReplayStore();
    const good = vectors.verify.find((v) => v.name === "good")!;
    expect([outcome(good, store), outcome(good, store)]).toEqual(["ok", "replayed"]);
  });

  it("our signer emits the SDK's header set, and a signature the payload check accepts", () => {
    const alice = Keypair.fromUri("//Alice");
    const s = vectors.sign[0]!;
    const h = signBtauth(alice, { method: s.method, path: s.path, body: Buffer.from(s.body_hex, "hex"), receiver: s.receiver, nonce: BigInt(s.nonce) });
    expect(Object.keys(h).sort()).toEqual(Object.keys(s.headers).sort());
    for (const k of ["X-Bittensor-Version", "X-Bittensor-Hotkey", "X-Bittensor-Nonce", "X-Bittensor-Receiver"]) expect(h[k]).toBe(s.headers[k]);
    const caller = verifyBtauth(lower(h), Buffer.from(s.body_hex, "hex"), { method: s.method, path: s.path, self: s.receiver!, nowNs: BigInt(s.nonce), replay: new BtauthReplayStore() });
    expect(caller.hotkey).toBe(alice.address);
  });

  it.skipIf(!existsSync(".venv-bt11/bin/python"))("the generator, rerun against the installed SDK, agrees with the committed vectors", () => {
    const fresh = JSON.parse(execFileSync(".venv-bt11/bin/python", ["test/interop/py/btauth_vectors.py"], { encoding: "utf8", timeout: 60_000 })) as Vectors;
    expect(fresh.sdk).toBe(vectors.sdk);
    expect(fresh.sign.map((s) => s.payload_hex)).toEqual(vectors.sign.map((s) => s.payload_hex));
    expect(fresh.verify.map((v) => [v.name, v.expect])).toEqual(vectors.verify.map((v) => [v.name, v.expect]));
  });
});

describe("replay store bounds", () => {
  it("entries expire after the retention; a full table of live entries refuses new pairs", () => {
    const store = new BtauthReplayStore(12_000, 3);
    expect(store.checkAndStore("a", 1n, 0)).toBe(true);
    expect(store.checkAndStore("a", 2n, 0)).toBe(true);
    expect(store.checkAndStore("a", 3n, 0)).toBe(true);
    expect(store.checkAndStore("a", 4n, 1)).toBe("full");
    expect(store.checkAndStore("a", 1n, 1)).toBe("replayed");
    expect(store.checkAndStore("a", 4n, 12_001)).toBe(true);
    expect(store.size).toBe(1);
  });
});
