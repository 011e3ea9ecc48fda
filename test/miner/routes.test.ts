// The miner over the wire: a DevChain, startMiner with a fake compressor, and our dendrite. Checks the
// start-up rules (registration, serve_axon) and every HTTP status the issue names.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metadata, TextCompressProtocol } from "../../ts/bittensor/protocols.js";
import { DevChain } from "../../ts/chain/devchain.js";
import { Dendrite } from "../../ts/dendrite/index.js";
import { minerConfigFromArgs, type MinerConfig } from "../../ts/miner/config.js";
import { startMiner, type RunningMiner } from "../../ts/miner/miner.js";
import { StartupError } from "../../ts/neuron/index.js";
import { HttpStore } from "../../ts/storage/index.js";
import { Keypair } from "../../ts/wallet/keypair.js";
import { cryptoReady } from "../../ts/bittensor/signing.js";
import { FakeCompressor } from "./helpers.js";

const MISTRAL = "mistralai/Mistral-7B-Instruct-v0.2";
const NETUID = 7;
const TOKEN = 1_000_000_000n;
// Budget periods are clock-aligned; a pinned clock keeps a period boundary from zeroing the counts mid-test.
const PINNED_CLOCK = () => Date.UTC(2026, 0, 1) + 300_000;

let dir: string;
let chain: DevChain;
let minerKey: Keypair;
let big: Keypair;
let small: Keypair;
let stranger: Keypair;
let poor: Keypair;
let store: HttpStore;
let compressor: FakeCompressor;
let miner: RunningMiner;
let dBig: Dendrite;
let dSmall: Dendrite;

function config(extra: string[] = []): MinerConfig {
  const args = [
    "--netuid", String(NETUID), "--subtensor.network", "dev", "--axon.port", "0", "--axon.ip", "127.0.0.1",
    "--model", "tiny:llama", "--miner.allow_stand_in", "--miner.min_stake", "100", "--miner.budget_floor", "1",
    "--miner.capacity", "research=20", "--miner.work_dir", path.join(dir, "work"), "--storage.sweep_interval_s", "0",
    "--logging.level", "silent", ...extra,
  ];
  return minerConfigFromArgs(args);
}

const target = () => ({ ip: "127.0.0.1", port: miner.axon.port, hotkey: minerKey.address });
const ask = (d: Dendrite, fields: Record<string, unknown>) =>
  d.call(target(), TextCompressProtocol.create({ context: "<s> [INST] some context", target_model: MISTRAL, compressed_kv_format: "safetensors", ...fields }), { timeoutS: 10 });

beforeAll(async () => {
  await cryptoReady();
  dir = await mkdtemp(path.join(os.tmpdir(), "miner-routes-"));
  minerKey = Keypair.fromUri("//MinerRoutes");
  big = Keypair.fromUri("//BigValidator");
  small = Keypair.fromUri("//SmallValidator");
  poor = Keypair.fromUri("//PoorValidator");
  stranger = Keypair.fromUri("//Stranger");
  const cold = Keypair.fromUri("//Cold").address;
  chain = new DevChain({ allowLoopback: true });
  chain.createSubnet(NETUID);
  for (const k of [minerKey, big, small, poor]) chain.registerHotkey(NETUID, k.address, cold);
  chain.addStake(NETUID, big.address, 900n * TOKEN);
  chain.addStake(NETUID, small.address, 100n * TOKEN);
  chain.addStake(NETUID, poor.address, 10n * TOKEN);
  chain.runEpoch(NETUID); // permits follow stake at the epoch
  store = await HttpStore.open({ dir: path.join(dir, "store"), host: "127.0.0.1", port: 0, urlExpiryS: 60 });
  compressor = new FakeCompressor();
  miner = await startMiner(config(), { chain, hotkey: minerKey, compressor, store, signContainer: async () => undefined, now: PINNED_CLOCK });
  dBig = new Dendrite({ wallet: big });
  dSmall = new Dendrite({ wallet: small });
});

afterAll(async () => {
  dBig?.close();
  dSmall?.close();
  await miner?.stop();
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("miner start-up", () => {
  it("served its axon on chain at start", async () => {
    const mg = await chain.metagraph(NETUID);
    const ax = mg.axons[miner.uid]!;
    expect(ax).toMatchObject({ ip: "127.0.0.1", port: miner.axon.port, isServing: true });
  });

  it("serves Prometheus metrics when asked to", async () => {
    const m = await startMiner(config(["--miner.metrics_port", "0"]), { chain, hotkey: minerKey, compressor, store, signContainer: async () => undefined, now: PINNED_CLOCK });
    try {
      expect(m.metricsPort).not.toBeNull();
      const dm = new Dendrite({ wallet: big });
      await dm.call({ ip: "127.0.0.1", port: m.axon.port, hotkey: minerKey.address }, TextCompressProtocol.create({ context: "m", target_model: MISTRAL, compressed_kv_format: "safetensors" }), { timeoutS: 10 });
      dm.close();
      const text = await (await fetch(`http://127.0.0.1:${m.metricsPort}/metrics`)).text();
      expect(text).toContain('condense_miner_requests_total{tier="research",outcome="ok"} 1');
    } finally {
      await m.stop();
    }
  });

  it("a second start with the same endpoint skips the extrinsic (no rate-limit error)", async () => {
    const before = (await chain.metagraph(NETUID)).axons[miner.uid]!.block;
    chain.advance(1);
    const tx = await chain.serveAxon(minerKey, { netuid: NETUID, ip: "127.0.0.1", port: miner.axon.port });
    expect(tx).toBeNull();
    expect((await chain.metagraph(NETUID)).axons[miner.uid]!.block).toBe(before);
  });

  it("refuses to start when the hotkey is not registered, naming it", async () => {
    const unregistered = Keypair.fromUri("//Nobody");
    const err = await startMiner(config(), { chain, hotkey: unregistered, compressor, store, signContainer: async () => undefined, now: PINNED_CLOCK }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as Error).message).toContain(unregistered.address);
    expect((err as Error).message).toContain(`netuid ${NETUID}`);
  });
});

describe("over the wire", () => {
  it("Metadata declares tiers and capacity, and the caller's budget", async () => {
    const r = await dSmall.call(target(), Metadata.create({}), { timeoutS: 5 });
    expect(r.dendrite.status_code).toBe(200);
    const m = r.metadata as { tier: string; tiers: Record<string, { capacity: number; budget: number }> };
    expect(m.tier).toBe("research");
    expect(m.tiers.research!.capacity).toBe(20);
    // RPE 256 split over admitted stake (900 + 100), capped at the declared capacity 20
    expect(m.tiers.research!.budget).toBe(20);
  });

  it("200 with a URL that downloads; the context is not echoed", async () => {
    const r = await ask(dBig, {});
    expect(r.dendrite.status_code).toBe(200);
    expect(r.compressed_kv_format).toBe("safetensors");
    expect(r.context).toBe("");
    expect(r.tier).toBe("research");
    const res = await fetch(r.compressed_kv_url);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBe(4096);
  });

  it("403 for an unknown hotkey and for stake under the minimum, with the reason", async () => {
    const d = new Dendrite({ wallet: stranger });
    const r = await ask(d, {});
    d.close();
    expect(r.dendrite.status_code).toBe(403);
    expect(r.dendrite.status_message).toContain("unknown_hotkey");
    const dp = new Dendrite({ wallet: poor });
    const r2 = await ask(dp, {});
    dp.close();
    expect(r2.dendrite.status_code).toBe(403);
    expect(r2.dendrite.status_message).toContain("stake_too_low");
  });

  it("400 for a context over the tier limit and for an unsupported model", async () => {
    const r = await ask(dBig, { context: "z".repeat(10_001) });
    expect(r.dendrite.status_code).toBe(400);
    expect(r.dendrite.status_message).toContain("context_too_long");
    const r2 = await ask(dBig, { target_model: "meta-llama/Llama-3-8B" });
    expect(r2.dendrite.status_code).toBe(400);
    expect(r2.dendrite.status_message).toContain("unsupported_model");
  });

  it("503 with a reason when the worker pool is down; the process keeps serving", async () => {
    compressor.up = false;
    const r = await ask(dBig, { context: "pool down" });
    expect(r.dendrite.status_code).toBe(503);
    expect(r.dendrite.status_message).toContain("pool_unavailable");
    compressor.up = true;
    const meta = await dBig.call(target(), Metadata.create({}), { timeoutS: 5 });
    expect(meta.dendrite.status_code).toBe(200);
  });
  it("429 once the validator's budget is used up, never 5xx", async () => {
    // small: max(int(256 * 100/1000), 1) = 25, capped by capacity 20; the tier total is 20 as well.
    const statuses: number[] = [];
    for (let i = 0; i < 22; i++) statuses.push((await ask(dSmall, { context: `ctx ${i}` })).dendrite.status_code ?? 0);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0);
    expect(statuses.slice(-1)[0]).toBe(429);
    const last = await ask(dSmall, { context: "again" });
    expect(last.dendrite.status_message).toMatch(/rate_limited|capacity_exhausted/);
  });

});

describe("priority by stake", () => {
  it("when forwards are limited, waiting requests are served in stake order", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const slow = new FakeCompressor();
    const inner = slow.compress.bind(slow);
    slow.compress = async (job) => {
      order.push(job.context);
      if (job.context === "first") await held;
      return inner(job);
    };
    const m = await startMiner(config(["--miner.max_concurrent", "1", "--miner.capacity", "research=100"]), {
      chain,
      hotkey: minerKey,
      compressor: slow,
      store,
      signContainer: async () => undefined,
    });
    let priorityCalls = 0;
    const priority = m.service.priority.bind(m.service);
    m.service.priority = (hk: string) => {
      priorityCalls++;
      return priority(hk);
    };
    const at = { ip: "127.0.0.1", port: m.axon.port, hotkey: minerKey.address };
    const send = (d: Dendrite, context: string) =>
      d.call(at, TextCompressProtocol.create({ context, target_model: MISTRAL, compressed_kv_format: "safetensors" }), { timeoutS: 30 });
    try {
      const first = send(dBig, "first");
      while (order.length === 0) await new Promise((r) => setTimeout(r, 10));
      const fromSmall = send(dSmall, "from small");
      const fromBig = send(dBig, "from big");
      // Both are waiting for the one slot once the axon has asked each one's priority.
      while (priorityCalls < 3) await new Promise((r) => setTimeout(r, 10));
      release();
      const results = await Promise.all([first, fromSmall, fromBig]);
      expect(results.map((r) => r.dendrite.status_code)).toEqual([200, 200, 200]);
      expect(order).toEqual(["first", "from big", "from small"]);
    } finally {
      release();
      await m.stop();
    }
  });
});
