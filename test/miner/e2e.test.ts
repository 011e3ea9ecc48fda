// End to end with a real worker: DevChain + `condense miner` (tiny:llama standing in for Mistral-7B) +
// our dendrite. The URL downloads, the container validates, its binding and signature verify; then the
// S3 path against the real local S3 server; then the worker is killed and the miner answers 503.
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TextCompressProtocol } from "../../ts/bittensor/protocols.js";
import { cryptoReady } from "../../ts/bittensor/signing.js";
import { DevChain } from "../../ts/chain/devchain.js";
import { contextSha256, readContainerHeader, verifyContainerData } from "../../ts/container/index.js";
import { Dendrite } from "../../ts/dendrite/index.js";
import { minerConfigFromArgs } from "../../ts/miner/config.js";
import { startMiner, type RunningMiner } from "../../ts/miner/miner.js";
import { WorkerPoolCompressor } from "../../ts/miner/compressor.js";
import { StartupError } from "../../ts/neuron/index.js";
import { S3Store, startS3Server, type S3Server } from "../../ts/storage/index.js";
import { Keypair } from "../../ts/wallet/keypair.js";

const MISTRAL = "mistralai/Mistral-7B-Instruct-v0.2";
const NETUID = 3;
let dir: string;
let chain: DevChain;
let minerKey: Keypair;
let validator: Keypair;
let miner: RunningMiner;
let dendrite: Dendrite;

const contextText = (seed: string) =>
  `<s> [INST] ${seed}. ` +
  Array.from({ length: 260 }, (_, i) => `Record ${i}: the shipment of ${(i * 37) % 101} crates reached port ${i % 7}.`).join(" ").slice(0, 6000);

function cfg(extra: string[]) {
  const args = ["--netuid", String(NETUID), "--subtensor.network", "dev", "--axon.port", "0", "--axon.ip", "127.0.0.1", "--model", "tiny:llama",
    "--miner.allow_stand_in", "--miner.min_stake", "1", "--miner.work_dir", path.join(dir, "work"), "--storage.sweep_interval_s", "0",
    "--storage.http.host", "127.0.0.1", "--storage.http.port", "0", "--storage.http.dir", path.join(dir, "store"), "--logging.level", "warn", ...extra];
  return minerConfigFromArgs(args);
}

async function download(url: string, name: string): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const file = path.join(dir, name);
  await writeFile(file, Buffer.from(await res.arrayBuffer()));
  return file;
}

async function checkContainer(file: string, context: string): Promise<number> {
  const header = await readContainerHeader(file, { expect: { targetModel: MISTRAL, contextSha256: contextSha256(context), minerHotkey: minerKey.address, verifySignature: true } });
  expect(header.signed).toBe(true);
  expect(header.signatureVerified).toBe(true);
  expect(header.meta.contextSha256).toBe(contextSha256(context));
  expect(header.meta.minerHotkey).toBe(minerKey.address);
  await verifyContainerData(file, header);
  return header.meta.keptTokens;
}

beforeAll(async () => {
  await cryptoReady();
  dir = await mkdtemp(path.join(os.tmpdir(), "miner-e2e-"));
  minerKey = Keypair.fromUri("//E2EMiner");
  validator = Keypair.fromUri("//E2EValidator");
  const cold = Keypair.fromUri("//E2ECold").address;
  chain = new DevChain({ allowLoopback: true });
  chain.createSubnet(NETUID);
  chain.registerHotkey(NETUID, minerKey.address, cold);
  chain.registerHotkey(NETUID, validator.address, cold);
  chain.addStake(NETUID, validator.address, 1000n * 1_000_000_000n);
  chain.runEpoch(NETUID);
  miner = await startMiner(cfg([]), { chain, hotkey: minerKey });
  dendrite = new Dendrite({ wallet: validator });
}, 180_000);

afterAll(async () => {
  dendrite?.close();
  await miner?.stop();
  await rm(dir, { recursive: true, force: true });
});

const target = () => ({ ip: "127.0.0.1", port: miner.axon.port, hotkey: minerKey.address });

describe("miner end to end with a tiny worker", () => {
  it("answers our dendrite with a URL to a signed container bound to the context", async () => {
    const context = contextText("first");
    const r = await dendrite.call(target(), TextCompressProtocol.create({ context, target_model: MISTRAL, compressed_kv_format: "safetensors" }), { timeoutS: 60 });
    expect(r.dendrite.status_message).toBe("Success");
    expect(r.dendrite.status_code).toBe(200);
    expect(r.compressed_kv_url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/objects\/\d+\/[0-9a-f]{32}\/research\/.+\.safetensors$/);
    const kept = await checkContainer(await download(r.compressed_kv_url, "first.safetensors"), context);
    expect(r.compressed_length).toBe(kept);
    expect(kept).toBeGreaterThanOrEqual(128);
    expect(kept).toBeLessThanOrEqual(1024);
  });

  it("a container made for one context does not verify against another", async () => {
    const context = contextText("second");
    const r = await dendrite.call(target(), TextCompressProtocol.create({ context, target_model: MISTRAL, compressed_kv_format: "safetensors" }), { timeoutS: 60 });
    const file = await download(r.compressed_kv_url, "second.safetensors");
    await expect(readContainerHeader(file, { expect: { contextSha256: contextSha256("something else") } })).rejects.toMatchObject({ code: "BINDING_MISMATCH" });
    await expect(readContainerHeader(file, { expect: { minerHotkey: validator.address } })).rejects.toMatchObject({ code: "HOTKEY_MISMATCH" });
  });

  it("a legacy validator (no format) gets a plain URL to a float32 .npy [L, 2, 1, H, T, D]", async () => {
    const context = contextText("legacy");
    const r = await dendrite.call(target(), TextCompressProtocol.create({ context, target_model: MISTRAL }), { timeoutS: 120 });
    expect(r.dendrite.status_code).toBe(200);
    expect(r.compressed_kv_format).toBe("npy");
    expect(r.compressed_kv_url).toMatch(/^https?:\/\/.*\.npy$/); // the subnet validator's own check
    const res = await fetch(r.compressed_kv_url);
    const buf = Buffer.from(await res.arrayBuffer());
    expect(buf.subarray(0, 6).toString("latin1")).toBe("\x93NUMPY");
    const hlen = buf.readUInt16LE(8);
    const header = buf.subarray(10, 10 + hlen).toString("latin1");
    expect(header).toContain("'descr': '<f4'");
    const shape = /'shape': \(([^)]*)\)/.exec(header)![1]!.split(",").map((x) => x.trim()).filter(Boolean).map(Number);
    expect(shape).toHaveLength(6);
    expect(shape[1]).toBe(2);
    expect(shape[2]).toBe(1);
    expect(shape[4]).toBe(r.compressed_length);
    expect(buf.length - 10 - hlen).toBe(shape.reduce((a, b) => a * b, 1) * 4);
  });

  it("the S3 path: a miner storing to the real local S3 server returns a presigned URL that validates", async () => {
    let s3: S3Server | undefined;
    let m2: RunningMiner | undefined;
    try {
      s3 = await startS3Server();
      const store = await S3Store.open({
        endpoint: s3.endpoint, region: "us-east-1", bucket: "e2e", accessKeyId: "k", secretAccessKey: "s", forcePathStyle: true, prefix: "c",
        urlExpiryS: 300, partSizeBytes: 5 * 1024 * 1024, queueSize: 2, createBucket: true, connectTimeoutMs: 1000, requestTimeoutMs: 30_000, maxAttempts: 1,
      });
      // Same hotkey on a new port right after the first serve: the chain refuses serve_axon
      // (ServingRateLimitExceeded); the miner starts anyway and retries at its next sync. It shares the
      // first miner's worker pool.
      m2 = await startMiner(cfg([]), { chain, hotkey: minerKey, store, compressor: miner.service.opts.compressor });
      expect(m2.served).toBe(false);
      chain.advance(60);
      await m2.sync();
      expect(m2.served).toBe(true);
      expect((await chain.metagraph(NETUID)).axons[m2.uid]!.port).toBe(m2.axon.port);
      const context = contextText("s3");
      const r = await dendrite.call({ ip: "127.0.0.1", port: m2.axon.port, hotkey: minerKey.address }, TextCompressProtocol.create({ context, target_model: MISTRAL, compressed_kv_format: "safetensors" }), { timeoutS: 60 });
      expect(r.dendrite.status_code).toBe(200);
      expect(r.compressed_kv_url).toContain("X-Amz-Signature=");
      await checkContainer(await download(r.compressed_kv_url, "s3.safetensors"), context);
    } finally {
      await m2?.stop();
      await m2?.store.close();
      await s3?.stop();
    }
  });

  it("a real worker's Hello decides: an algorithm it does not announce (GPU-only on a CPU worker) stops the start", async () => {
    const ckpt = path.join(dir, "beacon-ckpt");
    await mkdir(ckpt, { recursive: true });
    const err = await startMiner(cfg(["--miner.algorithm", "activation_beacon", "--miner.checkpoint", ckpt, "--threads", "1"]), { chain, hotkey: minerKey }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).key).toBe("miner.algorithm");
    expect((err as Error).message).toMatch(/do not announce compress:activation_beacon \(they announce: .*compress:knorm/);
  }, 120_000);

  it("worker killed: the next request gets 503 with a reason and the miner keeps running", async () => {
    const compressor = miner.service.opts.compressor as WorkerPoolCompressor;
    const pids = compressor.pool.workers!().map((w) => w.pid).filter((p): p is number => p !== undefined);
    expect(pids.length).toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, "SIGKILL");
    // The pool notices the exit; until a restart is ready, no worker is available.
    for (let i = 0; i < 50 && compressor.pool.workers!().some((w) => w.state === "ready"); i++) await new Promise((r) => setTimeout(r, 20));
    const r = await dendrite.call(target(), TextCompressProtocol.create({ context: contextText("after kill"), target_model: MISTRAL, compressed_kv_format: "safetensors" }), { timeoutS: 30 });
    expect(r.dendrite.status_code).toBe(503);
    expect(r.dendrite.status_message).toMatch(/pool_unavailable|worker/);
  });
});
