// btauth/1 interop with the real SDK 11 (bittensor 11.x in .venv-bt11, scripts/setup.d/21-bittensor-sdk11.sh):
// requests signed by `bittensor.http_auth.sign` against our axon, and our dendrite / signer against a server
// that authenticates with `bittensor.http_auth.verify`. Success, bad signature, replay, stale, wrong receiver
// and unknown hotkey both ways.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Axon } from "../../ts/axon/index.js";
import { Dendrite } from "../../ts/dendrite/index.js";
import { cryptoReady, Metadata, signBtauth, stringifyJson, TextCompressProtocol } from "../../ts/bittensor/index.js";
import { Keypair } from "../../ts/wallet/index.js";
import { freePort } from "../../ts/util/free-port.js";
import { runPython as runPythonIn } from "./helpers.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PY = path.join(root, ".venv-bt11/bin/python");
const PEERS = path.join(root, "test/interop/py");

type Result = { status: number; message: string | null; body: Record<string, unknown> | null };

const runPython = (args: string[], timeoutMs: number) => runPythonIn(PY, args, timeoutMs);

let alice: Keypair, bob: Keypair, charlie: Keypair, eve: Keypair;

beforeAll(async () => {
  if (!existsSync(PY)) throw new Error(`${PY} missing: run scripts/setup.d/21-bittensor-sdk11.sh (installs bittensor 11.3.0)`);
  await cryptoReady();
  [alice, bob, charlie, eve] = ["//Alice", "//Bob", "//Charlie", "//Eve"].map((u) => Keypair.fromUri(u)) as [Keypair, Keypair, Keypair, Keypair];
});

describe("SDK 11 http_auth.sign -> our axon", () => {
  let axon: Axon;
  let r: Record<string, Result>;

  beforeAll(async () => {
    axon = new Axon({
      wallet: bob,
      port: 0,
      ip: "127.0.0.1",
      blacklist: ({ hotkey }) => (hotkey === alice.address || hotkey === charlie.address ? { blocked: false } : { blocked: true, reason: "unknown hotkey" }),
    });
    axon.attach(TextCompressProtocol, { forward: (s, ctx) => ({ compressed_context: `${ctx.hotkey}:${s.context.toUpperCase()}` }) });
    axon.attach(Metadata, { forward: () => ({ metadata: { tier: "research" } }) });
    const { port } = await axon.start();
    const out = await runPython(["btauth_client.py", String(port), bob.address], 120_000);
    if (out.code !== 0) throw new Error(`btauth_client.py exited ${out.code}: ${out.stderr.slice(-2000)}`);
    r = JSON.parse(out.stdout.trim().split("\n").pop()!) as Record<string, Result>;
  }, 150_000);
  afterAll(() => axon?.stop());

  it("success: 200, the proven hotkey reaches forward; a query string and a bodiless GET verify too", () => {
    expect(r["success"]!.status).toBe(200);
    expect(r["success"]!.body!["compressed_context"]).toBe(`${alice.address}:HELLO SDK11`);
    expect(r["query"]!.status).toBe(200);
    expect(r["metadata_get"]).toMatchObject({ status: 200, body: { metadata: { tier: "research" } } });
  });

  it("replay: the first copy passes, the second gets 401", () => {
    expect(r["replay_first"]!.status).toBe(200);
    expect(r["replay_second"]).toMatchObject({ status: 401, message: expect.stringContaining("replayed") });
  });

  it("bad signature, forged sender and tampered body: 401 bad_signature", () => {
    for (const k of ["bad_signature", "forged_sender", "tampered_body"]) expect(r[k], k).toMatchObject({ status: 401, message: expect.stringContaining("bad_signature") });
  });

  it("stale and future nonces: 401 stale", () => {
    for (const k of ["stale", "future"]) expect(r[k], k).toMatchObject({ status: 401, message: expect.stringContaining("stale") });
  });

  it("wrong or missing receiver: 401 wrong_receiver", () => {
    for (const k of ["wrong_receiver", "no_receiver"]) expect(r[k], k).toMatchObject({ status: 401, message: expect.stringContaining("wrong_receiver") });
  });

  it("unknown hotkey: 403 from the same blacklist as 10.x requests", () => {
    expect(r["unknown_hotkey"]).toMatchObject({ status: 403, message: "Forbidden. Key is blacklisted: unknown hotkey." });
  });
});

describe("our dendrite and signer -> SDK 11 http_auth.verify", () => {
  let server: ChildProcess;
  let port: number;
  const target = (hotkey = bob.address) => ({ ip: "127.0.0.1", port, hotkey });
  const post = async (headers: Record<string, string>, body: string, p = "/TextCompressProtocol") => {
    const res = await fetch(`http://127.0.0.1:${port}${p}`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    port = await freePort();
    server = spawn(PY, ["btauth_server.py", String(port), "//Bob", [alice.address, charlie.address].join(",")], { cwd: PEERS, stdio: ["pipe", "pipe", "pipe"] });
    let err = "";
    server.stderr!.on("data", (d) => (err += d));
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`btauth_server.py not ready: ${err.slice(-2000)}`)), 60_000);
      server.stdout!.on("data", (d: Buffer) => {
        if (d.toString().includes("READY")) {
          clearTimeout(t);
          resolve();
        }
      });
      server.on("exit", (c) => reject(new Error(`btauth_server.py exited ${c}: ${err.slice(-2000)}`)));
    });
  }, 90_000);
  afterAll(() => {
    server?.stdin?.end();
  });

  it("success: our dendrite with auth btauth1 is verified by the SDK", async () => {
    const d = new Dendrite({ wallet: alice, auth: "btauth1" });
    const res = await d.call(target(), TextCompressProtocol.create({ context: "hi" }), { timeoutS: 10 });
    d.close();
    expect(res.dendrite.status_code).toBe(200);
    expect(res.compressed_context).toBe(`${alice.address}:HI`);
  });

  it("wrong receiver: the SDK answers WrongReceiver", async () => {
    const d = new Dendrite({ wallet: alice, auth: "btauth1" });
    const res = await d.call(target(charlie.address), TextCompressProtocol.create({ context: "hi" }), { timeoutS: 10 });
    d.close();
    expect(res.dendrite.status_code).toBe(401);
    expect(res.dendrite.status_message).toMatch(/^WrongReceiver/);
  });

  it("unknown hotkey: verified, then refused by the server's allowlist", async () => {
    const d = new Dendrite({ wallet: eve, auth: "btauth1" });
    const res = await d.call(target(), TextCompressProtocol.create({ context: "hi" }), { timeoutS: 10 });
    d.close();
    expect(res.dendrite.status_code).toBe(403);
  });

  it("bad signature, replay and stale nonces are refused by the SDK with its error classes", async () => {
    const body = stringifyJson(TextCompressProtocol.dump(TextCompressProtocol.create({ context: "raw" })));
    const h = signBtauth(alice, { method: "POST", path: "/TextCompressProtocol", body, receiver: bob.address });
    const sig = Buffer.from(h["X-Bittensor-Signature"]!.slice(2), "hex");
    sig[7]! ^= 1;
    expect(await post({ ...h, "X-Bittensor-Signature": "0x" + sig.toString("hex") }, body)).toMatchObject({ status: 401, json: { message: expect.stringMatching(/^BadSignature/) } });
    expect((await post(h, body)).status).toBe(200);
    expect(await post(h, body)).toMatchObject({ status: 401, json: { message: expect.stringMatching(/^ReplayedRequest/) } });
    const stale = signBtauth(alice, { method: "POST", path: "/TextCompressProtocol", body, receiver: bob.address, nonce: BigInt(Date.now() - 30_000) * 1_000_000n });
    expect(await post(stale, body)).toMatchObject({ status: 401, json: { message: expect.stringMatching(/^StaleRequest/) } });
    // the signed path includes the query: ours must match what is sent
    const q = signBtauth(alice, { method: "POST", path: "/TextCompressProtocol?a=1", body, receiver: bob.address });
    expect((await post(q, body, "/TextCompressProtocol?a=1")).status).toBe(200);
  });
});
