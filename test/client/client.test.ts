// The consumer side end to end: a real miner on the DevChain (tiny:llama standing in for Mistral-7B, one torch
// thread) answers our dendrite with a container URL; the Python client (clients/python, its CLI) downloads it
// from that URL (allow_private: it is loopback), checks the binding and the miner's signature, loads it into a
// transformers cache and answers; the answer equals the validator's own evaluation of the same container by
// the miner's worker. The legacy .npy URL loads and answers too.
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TextCompressProtocol } from "../../ts/bittensor/protocols.js";
import { cryptoReady } from "../../ts/bittensor/signing.js";
import { DevChain } from "../../ts/chain/devchain.js";
import { contextSha256 } from "../../ts/container/index.js";
import { Dendrite } from "../../ts/dendrite/index.js";
import { WorkerPoolCompressor } from "../../ts/miner/compressor.js";
import { minerConfigFromArgs } from "../../ts/miner/config.js";
import { startMiner, type RunningMiner } from "../../ts/miner/miner.js";
import { evaluateContainers } from "../../ts/validator/evaluate/index.js";
import { Keypair } from "../../ts/wallet/keypair.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const PYTHON = path.join(ROOT, ".venv/bin/python");
const MISTRAL = "mistralai/Mistral-7B-Instruct-v0.2";
const NETUID = 5;
const QUESTION = "Which port did record 3 reach?";

let dir: string;
let chain: DevChain;
let minerKey: Keypair;
let miner: RunningMiner;
let dendrite: Dendrite;

const contextText = (seed: string) =>
  `${seed}. ` + Array.from({ length: 120 }, (_, i) => `Record ${i}: the shipment of ${(i * 37) % 101} crates reached port ${i % 7}.`).join(" ");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The client's CLI from this checkout (PYTHONPATH: it is not installed in the project venv), killed after 240 s. */
function client(args: string[]): Promise<Run> {
  const pythonPath = [path.join(ROOT, "clients/python"), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ["-m", "condense_client", ...args, "--model", "tiny:llama", "--threads", "1", "--json"], {
      cwd: dir,
      env: { ...process.env, PYTHONPATH: pythonPath },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Whether the project venv can verify sr25519 signatures in Python (py-sr25519-bindings, the client's dependency). */
function hasSr25519(): Promise<boolean> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    const child = spawn(PYTHON, ["-c", "import sr25519"], { env, stdio: "ignore" });
    child.on("close", (code) => resolve(code === 0));
    child.on("error", () => resolve(false));
  });
}

beforeAll(async () => {
  await cryptoReady();
  dir = await mkdtemp(path.join(os.tmpdir(), "client-e2e-"));
  minerKey = Keypair.fromUri("//ClientMiner");
  const validator = Keypair.fromUri("//ClientValidator");
  const cold = Keypair.fromUri("//ClientCold").address;
  chain = new DevChain({ allowLoopback: true });
  chain.createSubnet(NETUID);
  chain.registerHotkey(NETUID, minerKey.address, cold);
  chain.registerHotkey(NETUID, validator.address, cold);
  chain.addStake(NETUID, validator.address, 1000n * 1_000_000_000n);
  chain.runEpoch(NETUID);
  const cfg = minerConfigFromArgs([
    "--netuid", String(NETUID), "--subtensor.network", "dev", "--axon.port", "0", "--axon.ip", "127.0.0.1", "--model", "tiny:llama",
    "--threads", "1", "--miner.allow_stand_in", "--miner.min_stake", "1", "--miner.work_dir", path.join(dir, "work"),
    "--storage.sweep_interval_s", "0", "--storage.http.host", "127.0.0.1", "--storage.http.port", "0",
    "--storage.http.dir", path.join(dir, "store"), "--logging.level", "warn",
  ]);
  miner = await startMiner(cfg, { chain, hotkey: minerKey });
  dendrite = new Dendrite({ wallet: validator });
}, 180_000);

afterAll(async () => {
  dendrite?.close();
  await miner?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("the Python client on a localnet miner's container", () => {
  it("downloads the signed container from the miner's URL, verifies it and answers as the validator's evaluation does", async () => {
    if (!(await hasSr25519())) {
      const msg = "py-sr25519-bindings is not installed in .venv: the Python client cannot verify the miner's signature";
      if (process.env.CI) throw new Error(msg);
      console.warn(`SKIPPED: ${msg}`);
      return;
    }
    const target = { ip: "127.0.0.1", port: miner.axon.port, hotkey: minerKey.address };
    const context = contextText("client");
    const legacyContext = contextText("legacy");
    const [r, legacy] = await Promise.all([
      dendrite.call(target, TextCompressProtocol.create({ context, target_model: MISTRAL, compressed_kv_format: "safetensors" }), { timeoutS: 120 }),
      dendrite.call(target, TextCompressProtocol.create({ context: legacyContext, target_model: MISTRAL }), { timeoutS: 120 }),
    ]);
    expect(r.dendrite.status_code).toBe(200);
    expect(r.compressed_kv_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.+\.safetensors$/);
    expect(legacy.dendrite.status_code).toBe(200);
    expect(legacy.compressed_kv_url).toMatch(/\.npy$/);
    const ctxFile = path.join(dir, "context.txt");
    await writeFile(ctxFile, context, "utf8");

    // (Without allow_private the loopback URL is refused before anything is dialled: clients/python/tests.)
    const [run, npy] = await Promise.all([
      client([r.compressed_kv_url, "--question", QUESTION, "--allow-private", "--context-file", ctxFile, "--hotkey", minerKey.address,
        "--target-model", MISTRAL, "--max-new-tokens", "8"]),
      client([legacy.compressed_kv_url, "--question", QUESTION, "--allow-private", "--max-new-tokens", "8"]),
    ]);
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const out = JSON.parse(run.stdout) as {
      answers: string[]; prompts: string[]; format: string; kept_tokens: number; original_tokens: number; next_position: number;
      miner_hotkey: string; context_sha256: string; signature_verified: boolean; target_model: string;
    };
    expect(out.format).toBe("safetensors");
    expect(out.signature_verified).toBe(true);
    expect(out.miner_hotkey).toBe(minerKey.address);
    expect(out.context_sha256).toBe(contextSha256(context));
    expect(out.target_model).toBe(MISTRAL);
    expect(out.kept_tokens).toBe(r.compressed_length);
    expect(out.original_tokens).toBeGreaterThan(out.kept_tokens);
    expect(out.answers).toHaveLength(1);

    // The validator's evaluation of the same bytes by the miner's own worker: same prompt, same answer.
    const res = await fetch(r.compressed_kv_url);
    const bytes = new Uint8Array(await res.arrayBuffer());
    const pool = (miner.service.opts.compressor as WorkerPoolCompressor).pool;
    const [judged] = await evaluateContainers(pool, [{ id: "client", container: bytes, questions: out.prompts }], { maxNewTokens: 8, timeoutMs: 120_000 });
    if (!judged?.ok) throw new Error(`the worker refused the container: ${JSON.stringify(judged)}`);
    expect(judged.keptTokens).toBe(out.kept_tokens);
    expect(judged.nextPosition).toBe(out.next_position);
    expect(out.answers).toEqual(judged.answers);

    expect(npy.code, npy.stderr.slice(-2000)).toBe(0);
    const legacyOut = JSON.parse(npy.stdout) as { format: string; kept_tokens: number; answers: string[]; signature_verified: boolean };
    expect(legacyOut.format).toBe("npy");
    expect(legacyOut.kept_tokens).toBe(legacy.compressed_length);
    expect(legacyOut.signature_verified).toBe(false);
    expect(legacyOut.answers).toHaveLength(1);
  }, 420_000);
});
