// `startMiner` attacked at start and over the wire (issue 9): refusals that must not queue, a caller that
// leaves, the published address, the algorithm the workers announce, the private work folder, /healthz,
// and --threads reaching the workers.
import { lstat, mkdir, mkdtemp, readdir, rm, stat, symlink, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Metadata, TextCompressProtocol } from "../../ts/bittensor/protocols.js";
import { cryptoReady } from "../../ts/bittensor/signing.js";
import { DevChain } from "../../ts/chain/devchain.js";
import { contextSha256 } from "../../ts/container/hash.js";
import { Dendrite } from "../../ts/dendrite/index.js";
import { minerConfigFromArgs, type MinerConfig } from "../../ts/miner/config.js";
import { startMiner, type MinerDeps } from "../../ts/miner/miner.js";
import { StartupError, type NeuronPool } from "../../ts/neuron/index.js";
import { ConfigError } from "../../ts/config/resolve.js";
import { HttpStore } from "../../ts/storage/index.js";
import type { PoolOptions, PoolRequest, WorkerInfo } from "../../ts/workers/index.js";
import { Keypair } from "../../ts/wallet/keypair.js";
import { FakeCompressor } from "./helpers.js";

const MISTRAL = "mistralai/Mistral-7B-Instruct-v0.2";
const NETUID = 9;
const TOKEN = 1_000_000_000n;
let dir: string;
let chain: DevChain;
let minerKey: Keypair;
let big: Keypair;
let store: HttpStore;

function config(extra: string[] = []): MinerConfig {
  return minerConfigFromArgs([
    "--netuid", String(NETUID), "--subtensor.network", "dev", "--axon.port", "0", "--axon.ip", "127.0.0.1",
    "--model", "tiny:llama", "--miner.allow_stand_in", "--miner.min_stake", "1", "--miner.budget_floor", "1",
    "--miner.work_dir", path.join(dir, "work"), "--storage.sweep_interval_s", "0", "--logging.level", "silent", ...extra,
  ]);
}

/** A pool that behaves like WorkerPool for the miner: announces capabilities and writes the container. */
class FakePool implements NeuronPool {
  started: PoolOptions | null = null;
  closed = false;
  constructor(private readonly capabilities: string[]) {}
  workers(): WorkerInfo[] {
    return [{ id: "w0", local: true, state: "ready", pid: 1, inflight: 0, maxInflight: 1, restarts: 0, hello: { capabilities: this.capabilities, model: "tiny:llama", device: "cpu" } as never }];
  }
  async request(req: PoolRequest) {
    const v = req.body.value as { outputPath: string; context: string };
    await writeFile(v.outputPath, Buffer.alloc(64, 1));
    return { workerId: "w0", tensors: [], header: { body: { case: "compress", value: { path: v.outputPath, info: { bytes: 64n, keptTokens: 130, originalTokens: 500, sha256Context: contextSha256(v.context) }, computeMs: 1, serializeMs: 1, legacyNpyBytes: 0n } } } } as never;
  }
  async close() {
    this.closed = true;
  }
}

// The budget clock is pinned mid-period: a real 600 s period boundary falling inside a test would zero the counts.
const PERIOD_START = Date.UTC(2026, 0, 1);
const deps = (over: MinerDeps = {}): MinerDeps => ({ chain, hotkey: minerKey, store, signContainer: async () => undefined, now: () => PERIOD_START + 300_000, ...over });

beforeAll(async () => {
  await cryptoReady();
  dir = await mkdtemp(path.join(os.tmpdir(), "miner-start-"));
  minerKey = Keypair.fromUri("//StartMiner");
  big = Keypair.fromUri("//StartValidator");
  chain = new DevChain({ allowLoopback: true });
  chain.createSubnet(NETUID);
  chain.registerHotkey(NETUID, minerKey.address, Keypair.fromUri("//StartCold").address);
  chain.registerHotkey(NETUID, big.address, Keypair.fromUri("//StartCold").address);
  chain.addStake(NETUID, big.address, 1000n * TOKEN);
  chain.runEpoch(NETUID);
  store = await HttpStore.open({ dir: path.join(dir, "store"), host: "127.0.0.1", port: 0, urlExpiryS: 60 });
});
afterAll(async () => {
  await store?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("refusals do not wait for a forward slot", () => {
  it("over budget and too long answer at once while the only slot is held; a caller that leaves cancels its compute", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const signals: Array<AbortSignal | undefined> = [];
    const deadlines = new Map<string, number>();
    const slow = new FakeCompressor();
    const inner = slow.compress.bind(slow);
    slow.compress = async (job, o?: { signal?: AbortSignal; deadline?: number }) => {
      signals.push(o?.signal);
      deadlines.set(job.context, o!.deadline!);
      if (job.context === "hold") await held;
      if (job.context === "leave") await new Promise((r) => o?.signal?.addEventListener("abort", r));
      return inner(job);
    };
    // budget 2 per period for every validator (capacity 2), one forward at a time
    const m = await startMiner(config(["--miner.max_concurrent", "1", "--miner.capacity", "research=2"]), deps({ compressor: slow }));
    const d = new Dendrite({ wallet: big });
    const at = { ip: "127.0.0.1", port: m.axon.port, hotkey: minerKey.address };
    const send = (context: string, timeoutS = 20) => d.call(at, TextCompressProtocol.create({ context, target_model: MISTRAL, compressed_kv_format: "safetensors" }), { timeoutS });
    try {
      const first = send("hold");
      while (signals.length === 0) await new Promise((r) => setTimeout(r, 10));
      const tSecond = Date.now();
      const second = send("queued behind"); // takes the second request of the budget, waits for the slot
      await new Promise((r) => setTimeout(r, 100));
      let t0 = performance.now();
      const over = await send("over budget");
      expect(over.dendrite.status_code).toBe(429);
      expect(performance.now() - t0).toBeLessThan(1500);
      t0 = performance.now();
      const long = await send("z".repeat(10_001));
      expect(long.dendrite.status_code).toBe(400);
      expect(long.dendrite.status_message).toContain("context_too_long");
      expect(performance.now() - t0).toBeLessThan(1500);
      await new Promise((r) => setTimeout(r, 500));
      release();
      expect((await first).dendrite.status_code).toBe(200);
      expect((await second).dendrite.status_code).toBe(200);
      // its deadline ran from admission, not from when it left the queue (>= 600 ms later)
      expect(deadlines.get("queued behind")!).toBeLessThan(tSecond + 20_000 + 300);
      // a caller that gives up: its compute gets an aborted signal (a second miner, with budget left)
      const budgetReset = await startMiner(config(["--miner.max_concurrent", "1"]), deps({ compressor: slow }));
      try {
        const at2 = { ...at, port: budgetReset.axon.port };
        const n = signals.length;
        const gone = await d.call(at2, TextCompressProtocol.create({ context: "leave", target_model: MISTRAL, compressed_kv_format: "safetensors" }), { timeoutS: 0.5 });
        expect(gone.dendrite.status_code).toBe(408);
        for (let i = 0; i < 100 && !signals[n]?.aborted; i++) await new Promise((r) => setTimeout(r, 20));
        expect(signals[n]?.aborted).toBe(true);
      } finally {
        await budgetReset.stop();
      }
    } finally {
      release();
      d.close();
      await m.stop();
    }
  });
});

describe("budget of requests the axon drops after admission", () => {
  it("a request that times out waiting for a slot gives its budget back", async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const slow = new FakeCompressor();
    const inner = slow.compress.bind(slow);
    let started = 0;
    slow.compress = async (job) => {
      started++;
      if (job.context === "hold") await held;
      return inner(job);
    };
    const m = await startMiner(config(["--miner.max_concurrent", "1", "--miner.capacity", "research=3"]), deps({ compressor: slow }));
    const d = new Dendrite({ wallet: big });
    const at = { ip: "127.0.0.1", port: m.axon.port, hotkey: minerKey.address };
    const send = (context: string, timeoutS: number) => d.call(at, TextCompressProtocol.create({ context, target_model: MISTRAL, compressed_kv_format: "safetensors" }), { timeoutS });
    const used = () => m.service.metadata(big.address).tiers["research"]!.used;
    try {
      const first = send("hold", 20);
      while (started === 0) await new Promise((r) => setTimeout(r, 10));
      const dropped = await Promise.all([send("no slot 1", 0.4), send("no slot 2", 0.4)]);
      expect(dropped.map((r) => r.dendrite.status_code)).toEqual([408, 408]);
      expect(used()).toBe(3);
      for (let i = 0; i < 100 && used() > 1; i++) await new Promise((r) => setTimeout(r, 50));
      expect(used()).toBe(1);
      release();
      expect((await first).dendrite.status_code).toBe(200);
      // the budget given back serves again
      expect((await send("again", 10)).dendrite.status_code).toBe(200);
      expect(started).toBe(2);
    } finally {
      release();
      d.close();
      await m.stop();
    }
  });
});

describe("start-up checks", () => {
  it("an --axon.external_ip that does not resolve is refused before the workers start", async () => {
    const pool = new FakePool(["compress:kvzip_sentence"]);
    let started = false;
    const err = await startMiner(config(["--axon.external_ip", "no-such-host.invalid"]), deps({ startPool: async () => ((started = true), pool) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).key).toBe("axon.external_ip");
    expect((err as Error).message).toContain("no-such-host.invalid");
    expect(started).toBe(false);
  });

  it("a host name is resolved once and the IP is what gets published", async () => {
    const lookups: string[] = [];
    const pool = new FakePool(["compress:kvzip_sentence"]);
    const m = await startMiner(config(["--axon.external_ip", "miner.example"]), deps({ startPool: async () => pool, lookup: async (h) => (lookups.push(h), { address: "127.0.0.1" }) }));
    try {
      expect(lookups).toEqual(["miner.example"]);
      expect(m.externalIp).toBe("127.0.0.1");
      chain.advance(60);
      await m.sync();
      expect((await chain.metagraph(NETUID)).axons[m.uid]).toMatchObject({ ip: "127.0.0.1", port: m.axon.port });
    } finally {
      await m.stop();
    }
    expect(pool.closed).toBe(true);
  });

  it("--miner.algorithm must be one the workers announce", async () => {
    const pool = new FakePool(["compress:knorm", "compress:snapkv"]);
    const err = await startMiner(config(["--miner.algorithm", "expected_attention"]), deps({ startPool: async () => pool })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartupError);
    expect((err as StartupError).key).toBe("miner.algorithm");
    expect((err as Error).message).toContain("compress:expected_attention");
    expect((err as Error).message).toContain("compress:knorm");
    expect(pool.closed).toBe(true);
  });

  it("an algorithm that needs a checkpoint is refused without one, or with one that is not a directory", async () => {
    expect(() => config(["--miner.algorithm", "soft_token"])).not.toThrow();
    const noCkpt = await startMiner(config(["--miner.algorithm", "soft_token"]), deps({ startPool: async () => new FakePool(["compress:soft_token"]) })).catch((e: unknown) => e);
    expect(noCkpt).toBeInstanceOf(ConfigError);
    expect((noCkpt as ConfigError).issues[0]!.key).toBe("miner.checkpoint");
    const missing = await startMiner(config(["--miner.algorithm", "soft_token", "--miner.checkpoint", path.join(dir, "absent")]), deps({ startPool: async () => new FakePool(["compress:soft_token"]) })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(StartupError);
    expect((missing as StartupError).key).toBe("miner.checkpoint");
  });

  it("the work folder is private, unpredictable, never a planted one, and gone after stop", async () => {
    const base = path.join(dir, "work");
    // a co-tenant plants the old predictable name as a link to its own folder
    const planted = path.join(dir, "attacker");
    await mkdir(base, { recursive: true });
    await mkdir(planted, { recursive: true });
    await symlink(planted, path.join(base, `condense-miner-${process.pid}`));
    const m = await startMiner(config(), deps({ compressor: new FakeCompressor() }));
    const wd = m.workDir;
    try {
      expect(path.dirname(wd)).toBe(base);
      expect(path.basename(wd)).not.toBe(`condense-miner-${process.pid}`);
      expect(path.basename(wd)).toMatch(/^condense-miner-[A-Za-z0-9]{6}$/);
      const s = await lstat(wd);
      expect(s.isDirectory()).toBe(true);
      expect(s.mode & 0o777).toBe(0o700);
    } finally {
      await m.stop();
    }
    await expect(stat(wd)).rejects.toMatchObject({ code: "ENOENT" });
    expect(await readdir(planted)).toEqual([]);
  });

  it("/healthz reports the pool's workers and /metrics serves the registry on the operations port", async () => {
    const pool = new FakePool(["compress:kvzip_sentence"]);
    const m = await startMiner(config(["--miner.metrics_port", "0"]), deps({ startPool: async () => pool }));
    try {
      const h = await fetch(`http://127.0.0.1:${m.metricsPort}/healthz`);
      expect(h.status).toBe(200);
      expect(await h.json()).toMatchObject({ status: "ok", workers: [{ id: "w0", state: "ready", model: "tiny:llama" }] });
      expect(await (await fetch(`http://127.0.0.1:${m.metricsPort}/metrics`)).text()).toContain("condense_miner_requests_total");
      const nf = await fetch(`http://127.0.0.1:${m.metricsPort}/nope`);
      expect(nf.status).toBe(404);
    } finally {
      await m.stop();
    }
  });

  it("unregistered keys are refused on Metadata too (an axon-wide blacklist) and leave no nonce behind", async () => {
    const m = await startMiner(config(), deps({ compressor: new FakeCompressor() }));
    const at = { ip: "127.0.0.1", port: m.axon.port, hotkey: minerKey.address };
    try {
      const before = m.axon.nonces.size;
      for (let i = 0; i < 20; i++) {
        const d = new Dendrite({ wallet: Keypair.fromUri(`//Fresh${i}`) });
        const r = await d.call(at, Metadata.create({}), { timeoutS: 5 });
        expect(r.dendrite.status_code).toBe(403);
        d.close();
      }
      expect(m.axon.nonces.size).toBe(before);
      const ok = new Dendrite({ wallet: big });
      expect((await ok.call(at, Metadata.create({}), { timeoutS: 5 })).dendrite.status_code).toBe(200);
      ok.close();
    } finally {
      await m.stop();
    }
  });

  it("--threads reaches the workers", async () => {
    let opts: PoolOptions | null = null;
    const m = await startMiner(config(["--threads", "1", "--workers", "2"]), deps({ startPool: async (o) => ((opts = o), new FakePool(["compress:kvzip_sentence"])) }));
    await m.stop();
    expect(opts!.workers[0]!.count).toBe(2);
    expect(opts!.threads).toBe(1);
  });
});
