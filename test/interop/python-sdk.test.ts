// Interop with the official Python SDK (bittensor 10.5.0 in .venv-bt, installed by scripts/setup.d/20-bittensor-sdk.sh):
// its dendrite against our axon, and our dendrite against its axon, on loopback.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Axon } from "../../ts/axon/index.js";
import { Dendrite } from "../../ts/dendrite/index.js";
import { cryptoReady, defineSynapse, field, py, required, TextCompressProtocol } from "../../ts/bittensor/index.js";
import { Keypair, Wallet } from "../../ts/wallet/index.js";
import { freePort } from "../../ts/util/free-port.js";
import { runPython as runPythonIn } from "./helpers.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PY = path.join(root, ".venv-bt/bin/python");
const PEERS = path.join(root, "test/interop/py");

const HashedEcho = defineSynapse({
  name: "HashedEcho",
  fields: { text: required(py.str()), scores: field(py.list(py.float()), []), reply: field(py.str(), "") },
  requiredHashFields: ["text", "scores"],
});

const runPython = (args: string[], timeoutMs: number) => runPythonIn(PY, args, timeoutMs);


beforeAll(async () => {
  if (!existsSync(PY)) throw new Error(`${PY} missing: run scripts/setup.d/20-bittensor-sdk.sh (installs bittensor 10.5.0)`);
  await cryptoReady();
});

describe("Python SDK dendrite -> our axon", () => {
  let axon: Axon;
  let result: Record<string, { status: number | null; message: string | null; axon_status: number | null; fields: Record<string, unknown> }>;
  const bob = () => Keypair.fromUri("//Bob");

  beforeAll(async () => {
    const eve = Keypair.fromUri("//Eve").address;
    axon = new Axon({ wallet: bob(), port: 0, ip: "127.0.0.1" });
    axon.attach(TextCompressProtocol, {
      blacklist: ({ hotkey }) => (hotkey === eve ? { blocked: true, reason: "unknown hotkey" } : { blocked: false }),
      forward: (s, ctx) => ({ compressed_context: `${ctx.hotkey}:${s.context.toUpperCase()}` }),
    });
    axon.attach(HashedEcho, { forward: (s) => ({ reply: `${s.text}|${s.scores.length}` }) });
    const { port } = await axon.start();
    const r = await runPython(["peer_dendrite.py", String(port), bob().address], 120_000);
    if (r.code !== 0) throw new Error(`peer_dendrite.py exited ${r.code}: ${r.stderr.slice(-2000)}`);
    result = JSON.parse(r.stdout.trim().split("\n").pop()!);
  }, 150_000);

  afterAll(async () => {
    await axon?.stop();
  });

  it("success: 200 and the forward's fields reach the Python synapse", () => {
    expect(result["success"]).toMatchObject({ status: 200, axon_status: 200, message: "Success" });
    expect(result["success"]!.fields["compressed_context"]).toBe(`${Keypair.fromUri("//Alice").address}:HELLO`);
  });

  it("a required field (placeholder header) and required_hash_fields hash the same in both languages", () => {
    expect(result["hashed"]).toMatchObject({ status: 200, fields: { reply: "it's|2", scores: [1.0, 0.5] } });
  });

  it("403 blacklist", () => {
    expect(result["blacklisted"]).toMatchObject({ status: 403, message: "Forbidden. Key is blacklisted: unknown hotkey." });
  });

  it("401 bad signature and 401 missing signature", () => {
    expect(result["bad_signature"]!.status).toBe(401);
    expect(result["bad_signature"]!.message).toMatch(/^Not Verified with error: Signature mismatch/);
    expect(result["missing_signature"]).toMatchObject({ status: 401, message: "Not Verified with error: Missing Signature" });
  });

  it("401 replayed nonce after the original succeeded", () => {
    expect(result["replay_first"]!.status).toBe(200);
    expect(result["replayed_nonce"]).toMatchObject({ status: 401, message: "Not Verified with error: Nonce is too old, a newer one was last processed" });
  });
});

describe("our dendrite -> Python SDK axon (wallet written by our Wallet, loaded by btwallet)", () => {
  let child: ChildProcess;
  let port: number;
  let axonHotkey: string;
  let dir: string;
  let dendrite: Dendrite;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "condense-bt-"));
    const wallet = new Wallet({ name: "peer", hotkey: "axon", path: dir });
    const created = await wallet.create({ coldkey: true, hotkey: true });
    axonHotkey = created.hotkey!.address;
    port = await freePort();
    child = spawn(PY, ["peer_axon.py", dir, "peer", "axon", String(port), Keypair.fromUri("//Eve").address], { cwd: PEERS, stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d) => (stderr += d));
    await new Promise<void>((resolve, reject) => {
      let out = "";
      const timer = setTimeout(() => reject(new Error(`python axon not ready: ${stderr.slice(-2000)}`)), 120_000);
      child.stdout!.on("data", (d) => {
        out += d;
        if (out.includes("READY")) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.on("exit", (code) => reject(new Error(`python axon exited ${code}: ${stderr.slice(-2000)}`)));
    });
    dendrite = new Dendrite({ wallet: Keypair.fromUri("//Alice") });
  }, 150_000);

  afterAll(async () => {
    dendrite?.close();
    if (child && child.exitCode === null) {
      child.stdin!.end();
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          child.kill("SIGKILL");
          resolve();
        }, 10_000);
        child.on("exit", () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const target = () => ({ ip: "127.0.0.1", port, hotkey: axonHotkey });

  it("success: the Python axon verifies our signature, nonce and headers", async () => {
    const r = await dendrite.call(target(), TextCompressProtocol.create({ context: "hello", target_model: "m" }), { timeoutS: 10 });
    expect(r.dendrite.status_code).toBe(200);
    expect(r.axon.status_message).toBe("Success");
    expect(r.compressed_context).toBe(`${Keypair.fromUri("//Alice").address}:HELLO`);
  });

  it("our body hash and required-field placeholders satisfy the Python axon", async () => {
    const r = await dendrite.call(target(), HashedEcho.create({ text: "it's \u00e9", scores: [1, 0.25, 1e-5] }), { timeoutS: 10 });
    expect(r.dendrite.status_code).toBe(200);
    expect(r.reply).toBe("it's \u00e9|3");
  });

  it("20 concurrent calls all pass the Python nonce check", async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => dendrite.call(target(), TextCompressProtocol.create({ context: `c${i}` }), { timeoutS: 20 })));
    expect(rs.map((r) => r.dendrite.status_code)).toEqual(Array(20).fill(200));
  });

  it("403 from the Python blacklist and 404 for an unknown synapse", async () => {
    const eve = new Dendrite({ wallet: Keypair.fromUri("//Eve") });
    const b = await eve.call(target(), TextCompressProtocol.create({ context: "x" }), { timeoutS: 10 });
    eve.close();
    expect(b.dendrite.status_code).toBe(403);
    expect(b.dendrite.status_message).toBe("Forbidden. Key is blacklisted: unknown hotkey.");
    const Unknown = defineSynapse({ name: "NotServedHere", fields: { x: field(py.str(), "") } });
    const u = await dendrite.call(target(), Unknown.create({ x: "1" }), { timeoutS: 10 });
    expect(u.dendrite.status_code).toBe(404);
    expect(u.dendrite.status_message).toMatch(/^Synapse name 'NotServedHere' not found/);
  });
});
