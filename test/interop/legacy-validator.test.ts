// A subnet v0.0.3 validator (the official Python SDK, bittensor 10.5.0 in .venv-bt, with the subnet's own
// synapse declarations) against `condense miner`'s real routes (axon, admission, legacy export path,
// storage): it asks for Condense-AI/Mistral-7B-Instruct-v0.2 with a 15,000-character context and no tier,
// and gets a .npy its verify step accepts. The compute is a stand-in that writes a genuine float32 .npy:
// the tiny worker models count one token per byte and hold 8192 positions, so they cannot take 15,000
// characters (test/miner/e2e.test.ts covers the real worker's .npy).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cryptoReady } from "../../ts/bittensor/signing.js";
import { DevChain } from "../../ts/chain/devchain.js";
import { contextSha256 } from "../../ts/container/hash.js";
import type { CompressJob, Compressor } from "../../ts/miner/compressor.js";
import { minerConfigFromArgs } from "../../ts/miner/config.js";
import { startMiner, type RunningMiner } from "../../ts/miner/miner.js";
import { Keypair } from "../../ts/wallet/keypair.js";
import { runPython as runPythonIn } from "./helpers.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PY = path.join(root, ".venv-bt/bin/python");
const PEERS = path.join(root, "test/interop/py");
const NETUID = 11;

const runPython = (args: string[], timeoutMs: number) => runPythonIn(PY, args, timeoutMs);

/** A float32 .npy of `shape` (format 1.0), values 0.5. */
function npy(shape: number[]): Buffer {
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${shape.join(", ")}), }`;
  header += " ".repeat(64 - ((10 + header.length + 1) % 64)) + "\n";
  const pre = Buffer.alloc(10);
  Buffer.from("\x93NUMPY", "latin1").copy(pre);
  pre[6] = 1;
  pre.writeUInt16LE(header.length, 8);
  const data = Buffer.alloc(shape.reduce((a, b) => a * b, 1) * 4);
  for (let i = 0; i < data.length; i += 4) data.writeFloatLE(0.5, i);
  return Buffer.concat([pre, Buffer.from(header, "latin1"), data]);
}

/** Writes what a worker writes for a legacy request: the container path and the .npy alongside. */
class NpyCompressor implements Compressor {
  jobs: CompressJob[] = [];
  available = () => true;
  async compress(job: CompressJob) {
    this.jobs.push(job);
    const kept = Math.min(job.maxTokens, 1500);
    await writeFile(job.outputPath, Buffer.alloc(16));
    const arr = npy([2, 2, 1, 2, kept, 8]);
    if (job.legacyNpyPath) await writeFile(job.legacyNpyPath, arr);
    return { path: job.outputPath, bytes: 16, keptTokens: kept, originalTokens: 4000, contextSha256: contextSha256(job.context), computeMs: 1, serializeMs: 1, legacyNpyBytes: job.legacyNpyPath ? arr.length : 0 };
  }
}

let dir: string;
let miner: RunningMiner;
let compute: NpyCompressor;
let result: {
  context_chars: number;
  metadata: { status: number; tier: string };
  compress: { status: number; message: string; url: string };
  url_ok: boolean;
  head_status?: number;
  shape?: number[];
  finite?: boolean;
};

beforeAll(async () => {
  if (!existsSync(PY)) throw new Error(`${PY} missing: run scripts/setup.d/20-bittensor-sdk.sh (installs bittensor 10.5.0)`);
  await cryptoReady();
  dir = await mkdtemp(path.join(os.tmpdir(), "legacy-validator-"));
  const minerKey = Keypair.fromUri("//LegacyMiner");
  const validator = Keypair.fromUri("//Alice");
  const cold = Keypair.fromUri("//LegacyCold").address;
  const chain = new DevChain({ allowLoopback: true });
  chain.createSubnet(NETUID);
  chain.registerHotkey(NETUID, minerKey.address, cold);
  chain.registerHotkey(NETUID, validator.address, cold);
  chain.addStake(NETUID, validator.address, 20_000n * 1_000_000_000n);
  chain.runEpoch(NETUID);
  // Defaults a miner runs with, except the stand-in worker model and the local network.
  const cfg = minerConfigFromArgs([
    "--netuid", String(NETUID), "--subtensor.network", "dev", "--axon.port", "0", "--axon.ip", "127.0.0.1",
    "--model", "tiny:llama", "--miner.allow_stand_in", "--miner.work_dir", path.join(dir, "work"),
    "--storage.sweep_interval_s", "0", "--storage.http.host", "127.0.0.1", "--storage.http.port", "0",
    "--storage.http.dir", path.join(dir, "store"), "--logging.level", "warn",
  ]);
  compute = new NpyCompressor();
  miner = await startMiner(cfg, { chain, hotkey: minerKey, compressor: compute });
  const r = await runPython(["legacy_validator.py", String(miner.axon.port), minerKey.address], 150_000);
  if (r.code !== 0) throw new Error(`legacy_validator.py exited ${r.code}: ${r.stderr.slice(-2000)}`);
  result = JSON.parse(r.stdout.trim().split("\n").pop()!);
}, 240_000);

afterAll(async () => {
  await miner?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("a subnet v0.0.3 validator", () => {
  it("reads the tier from Metadata", () => {
    expect(result.metadata).toEqual({ status: 200, tier: "research" });
  });
  it("gets 200 and a URL its verify step accepts for a 15,000-character context under the Condense-AI model id", () => {
    expect(result.context_chars).toBe(15000);
    expect(result.compress, result.compress.message).toMatchObject({ status: 200 });
    expect(result.url_ok).toBe(true);
    expect(result.head_status).toBe(200);
  });
  it("downloads a float32 [L, 2, 1, H, T, D] cache with 128 <= T <= 1536", () => {
    const s = result.shape!;
    expect(s).toHaveLength(6);
    expect(s[1]).toBe(2);
    expect(s[2]).toBe(1);
    expect(s[4]).toBeGreaterThanOrEqual(128);
    expect(s[4]).toBeLessThanOrEqual(1536);
    expect(result.finite).toBe(true);
  });
  it("the compute was asked for the canonical model and the v0.0.3 token bound", () => {
    expect(compute.jobs).toHaveLength(1);
    expect(compute.jobs[0]).toMatchObject({ targetModel: "mistralai/Mistral-7B-Instruct-v0.2", minTokens: 128, maxTokens: 1536 });
    expect(compute.jobs[0]!.legacyNpyPath).toBeDefined();
  });
});
