// MinerService with a fake compressor and the real HTTP store: admission, budgets, validation, failures.
import { mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MinerError } from "../../ts/miner/errors.js";
import { MinerService, type MinerServiceOptions } from "../../ts/miner/service.js";
import { HttpStore, StorageError, type ObjectStore } from "../../ts/storage/index.js";
import { SEED_TIERS } from "../../ts/subnet/index.js";
import { DeadlineExceededError, NoWorkerError, OverloadedError, WorkerDeadError } from "../../ts/workers/errors.js";
import { toAxonError } from "../../ts/miner/routes.js";
import { FakeCompressor, eventually, metagraphOf } from "./helpers.js";

const MISTRAL = "mistralai/Mistral-7B-Instruct-v0.2";
let dir: string;
let store: HttpStore;
let compressor: FakeCompressor;
let signed: string[];
let now: number;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "miner-svc-"));
  store = await HttpStore.open({ dir: path.join(dir, "store"), host: "127.0.0.1", port: 0, urlExpiryS: 60 });
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  compressor = new FakeCompressor();
  signed = [];
  now = 1_700_000_000_000;
});

function service(over: Partial<MinerServiceOptions> = {}): MinerService {
  const s = new MinerService({
    tiers: SEED_TIERS,
    servedTiers: ["research", "inference_0"],
    capacity: { research: 256, inference_0: 1024 },
    models: [{ target: MISTRAL, workerModel: "tiny:llama", standIn: true }],
    algorithm: "knorm",
    ratio: 0.75,
    hotkey: "miner-hotkey",
    compressor,
    store,
    signContainer: async (f) => void signed.push(f),
    workDir: path.join(dir, "work"),
    callers: { minStake: 100, requirePermit: true, whitelist: ["friend"] },
    budgetFloor: 2,
    now: () => now,
    ...over,
  });
  s.updateMetagraph(
    metagraphOf([
      { hotkey: "big", stake: 9000 },
      { hotkey: "small", stake: 1000 },
      { hotkey: "poor", stake: 50 },
      { hotkey: "nopermit", stake: 5000, permit: false },
      { hotkey: "friend", stake: 0, permit: false },
    ]),
  );
  return s;
}

async function refusal(p: Promise<unknown>): Promise<MinerError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(MinerError);
  return e as MinerError;
}

describe("blacklist and priority", () => {
  it("403 with the reason for unknown hotkeys, missing permits and low stake; the whitelist passes", () => {
    const s = service();
    expect(s.blacklist("stranger")).toMatchObject({ blocked: true, status: 403, code: "unknown_hotkey" });
    expect(s.blacklist("nopermit")).toMatchObject({ blocked: true, code: "no_validator_permit" });
    const poor = s.blacklist("poor");
    expect(poor).toMatchObject({ blocked: true, code: "stake_too_low" });
    expect(poor.blocked && poor.reason).toContain("under the minimum 100");
    expect(s.blacklist("big")).toEqual({ blocked: false });
    expect(s.blacklist("friend")).toEqual({ blocked: false });
  });
  it("priority is the caller's stake", () => {
    const s = service();
    expect(s.priority("big")).toBeGreaterThan(s.priority("small"));
    expect(s.priority("stranger")).toBe(0);
  });
  it("before the first metagraph everyone is refused", () => {
    const s = new MinerService({ ...service().opts });
    expect(s.blacklist("big")).toMatchObject({ blocked: true, code: "unknown_hotkey" });
  });
});

describe("compress: the happy path", () => {
  it("compresses, signs, stores and returns a URL that downloads the container", async () => {
    const s = service();
    const r = await s.compress("big", { format: "safetensors", context: "<s> [INST] hello world", target_model: MISTRAL });
    expect(r.tier).toBe("research");
    expect(r.key.startsWith("research/")).toBe(true);
    expect(r.kept_tokens).toBe(130);
    expect(compressor.calls[0]).toMatchObject({ targetModel: MISTRAL, algorithm: "knorm", ratio: 0.75, minTokens: 128, maxTokens: 1024, minerHotkey: "miner-hotkey" });
    expect(signed).toEqual([compressor.calls[0]!.outputPath]);
    const res = await fetch(r.compressed_kv_url);
    expect(res.status).toBe(200);
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(4096);
    expect(body.subarray(0, 16).toString()).toBe("<s> [INST] hello");
    for (const k of ["queue_ms", "compute_ms", "serialize_ms", "sign_ms", "upload_ms", "total_ms"] as const) expect(r.timings[k]).toBeGreaterThanOrEqual(0);
    // the worker's file is gone once stored
    expect(await eventually(() => readdir(path.join(dir, "work")), [])).toEqual([]);
  });

  it("picks the smallest served tier the context fits, or the tier the validator names", async () => {
    const s = service();
    const long = "x".repeat(12_000);
    expect((await s.compress("big", { format: "safetensors", context: long, target_model: MISTRAL })).tier).toBe("inference_0");
    expect(compressor.calls.at(-1)!.maxTokens).toBe(1024);
    expect((await s.compress("big", { format: "safetensors", context: "short", target_model: MISTRAL, tier: "inference_0" })).tier).toBe("inference_0");
  });
});

describe("compress: 400s for bad requests", () => {
  it("context over the tier limit", async () => {
    const s = service();
    const e = await refusal(s.compress("big", { format: "safetensors", context: "y".repeat(15_001), target_model: MISTRAL }));
    expect(e.code).toBe("context_too_long");
    expect(e.status).toBe(400);
    expect(e.message).toContain("15001");
    const e2 = await refusal(s.compress("big", { format: "safetensors", context: "y".repeat(10_001), target_model: MISTRAL, tier: "research" }));
    expect(e2.code).toBe("context_too_long");
  });
  it("counts characters as Python does (code points, not UTF-16 units)", async () => {
    const s = service({ servedTiers: ["research"] });
    const emoji = "😀".repeat(10_000); // 20000 UTF-16 units, 10000 characters
    expect((await s.compress("big", { format: "safetensors", context: emoji, target_model: MISTRAL })).tier).toBe("research");
  });
  it("unsupported target model, unknown tier, malformed fields", async () => {
    const s = service();
    expect((await refusal(s.compress("big", { format: "safetensors", context: "c", target_model: "meta/llama" }))).code).toBe("unsupported_model");
    expect((await refusal(s.compress("big", { format: "safetensors", context: "c", target_model: MISTRAL, tier: "inference_1" }))).code).toBe("unknown_tier");
    expect((await refusal(s.compress("big", { format: "safetensors", context: "", target_model: MISTRAL }))).status).toBe(400);
    expect((await refusal(s.compress("big", { format: "safetensors", context: 5, target_model: MISTRAL }))).code).toBe("bad_request");
    expect((await refusal(s.compress("big", { format: "safetensors", context: "c", target_model: null }))).code).toBe("bad_request");
    expect(compressor.calls).toHaveLength(0);
  });
  it("refused callers get 403 from compress too", async () => {
    const e = await refusal(service().compress("poor", { format: "safetensors", context: "c", target_model: MISTRAL }));
    expect(e.status).toBe(403);
  });
});

describe("compress: budgets (429, never 5xx)", () => {
  it("each validator gets its stake share of RPE; over budget is 429 until the next period", async () => {
    const s = service({ servedTiers: ["research"], capacity: { research: 256 } });
    // admitted: big 9000, small 1000, nopermit excluded, poor excluded, friend 0 (whitelisted) -> sum 10000
    const meta = s.metadata("small");
    expect(meta.tiers.research).toEqual({ capacity: 256, budget: 25, used: 0 });
    for (let i = 0; i < 25; i++) await s.compress("small", { format: "safetensors", context: `c${i}`, target_model: MISTRAL });
    const e = await refusal(s.compress("small", { format: "safetensors", context: "one more", target_model: MISTRAL }));
    expect(e.status).toBe(429);
    expect(e.code).toBe("rate_limited");
    expect(s.metadata("small").tiers.research).toMatchObject({ used: 25 });
    now += 600_000;
    await s.compress("small", { format: "safetensors", context: "next period", target_model: MISTRAL });
  });
  it("declared capacity bounds the total across validators", async () => {
    const s = service({ servedTiers: ["research"], capacity: { research: 3 } });
    await s.compress("big", { format: "safetensors", context: "1", target_model: MISTRAL });
    await s.compress("big", { format: "safetensors", context: "2", target_model: MISTRAL });
    await s.compress("small", { format: "safetensors", context: "3", target_model: MISTRAL });
    const e = await refusal(s.compress("friend", { format: "safetensors", context: "4", target_model: MISTRAL }));
    expect(e.status).toBe(429);
    expect(e.code).toBe("capacity_exhausted");
  });
  it("metadata declares tiers and capacities per scoring period", () => {
    const m = service().metadata("big");
    expect(m.tier).toBe("research");
    expect(Object.keys(m.tiers)).toEqual(["research", "inference_0"]);
    expect(m.tiers.inference_0!.capacity).toBe(1024);
    expect(m.scoring_period_s).toBe(600);
    expect(m.target_models).toEqual([MISTRAL]);
  });
});

describe("compress: failures", () => {
  it("pool down: 503 with a reason, without touching the pool, and the budget is given back", async () => {
    const s = service({ servedTiers: ["research"], capacity: { research: 256 } });
    compressor.up = false;
    const e = await refusal(s.compress("small", { format: "safetensors", context: "c", target_model: MISTRAL }));
    expect(e.status).toBe(503);
    expect(e.code).toBe("pool_unavailable");
    expect(compressor.calls).toHaveLength(0);
    expect(s.metadata("small").tiers.research!.used).toBe(0);
  });
  it("pool errors map to 503 (no worker / dead worker) and 429 (queue full)", async () => {
    const s = service();
    compressor.failWith = new NoWorkerError("compress");
    expect((await refusal(s.compress("big", { format: "safetensors", context: "a", target_model: MISTRAL }))).status).toBe(503);
    compressor.failWith = new WorkerDeadError("w0", "killed");
    const dead = await refusal(s.compress("big", { format: "safetensors", context: "b", target_model: MISTRAL }));
    expect(dead.code).toBe("pool_unavailable");
    expect(dead.message).toContain("w0");
    compressor.failWith = new OverloadedError(8, 8);
    expect((await refusal(s.compress("big", { format: "safetensors", context: "c", target_model: MISTRAL }))).status).toBe(429);
    compressor.failWith = new DeadlineExceededError("r1", 1000, "w0");
    const late = await refusal(s.compress("big", { format: "safetensors", context: "e", target_model: MISTRAL }));
    expect(late.code).toBe("deadline_exceeded");
    expect(toAxonError(late).status).toBe(503); // the axon's status set has no 504
    expect(toAxonError(new MinerError("rate_limited", "x")).status).toBe(429);
    compressor.failWith = new Error("boom");
    expect((await refusal(s.compress("big", { format: "safetensors", context: "d", target_model: MISTRAL }))).code).toBe("compress_failed");
  });
  it("storage down: 503 storage_unavailable, the local file is removed, nothing stored", async () => {
    const failing: ObjectStore = {
      kind: "s3",
      put: async () => {
        throw new StorageError("unavailable", "put x: storage unreachable (ECONNREFUSED)");
      },
      url: async () => "unused",
      delete: async () => undefined,
      list: async function* () {},
      sweep: async () => 0,
      close: async () => undefined,
    };
    const s = service({ store: failing });
    const e = await refusal(s.compress("big", { format: "safetensors", context: "c", target_model: MISTRAL }));
    expect(e.status).toBe(503);
    expect(e.code).toBe("storage_unavailable");
    expect(e.message).toContain("ECONNREFUSED");
    expect(await eventually(() => readdir(path.join(dir, "work")), [])).toEqual([]);
  });
  it("a container bound to another context is refused", async () => {
    const s = service();
    const orig = compressor.compress.bind(compressor);
    compressor.compress = async (job) => ({ ...(await orig(job)), contextSha256: "0".repeat(64) });
    expect((await refusal(s.compress("big", { format: "safetensors", context: "c", target_model: MISTRAL }))).code).toBe("compress_failed");
  });
});

describe("metrics", () => {
  it("counts outcomes and records phase times", async () => {
    const s = service();
    await s.compress("big", { format: "safetensors", context: "m", target_model: MISTRAL, tier: "research" });
    await s.compress("big", { format: "safetensors", context: "m", target_model: "nope", tier: "research" }).catch(() => undefined);
    const text = await s.metrics.registry.metrics();
    expect(text).toContain('condense_miner_requests_total{tier="research",outcome="ok"} 1');
    expect(text).toContain('condense_miner_requests_total{tier="research",outcome="unsupported_model"} 1');
    expect(text).toMatch(/condense_miner_phase_seconds_count\{phase="upload"\} 1/);
  });
});

describe("legacy validators", () => {
  it("a request with no format asks for the legacy .npy: refused with 400 when no exporter is configured", async () => {
    const e = await refusal(service().compress("big", { context: "c", target_model: MISTRAL }));
    expect(e.status).toBe(400);
    expect(e.message).toContain("legacy .npy");
    expect(compressor.calls).toHaveLength(0);
  });
  it("with an exporter, the .npy is what gets stored, under a key ending in .npy", async () => {
    const exported: string[] = [];
    const s = service({
      legacy: {
        toNpy: async (src, dst) => {
          exported.push(src);
          await writeFile(dst, Buffer.from("\x93NUMPY fake"));
          return 12;
        },
      },
    });
    const r = await s.compress("big", { context: "legacy ctx", target_model: MISTRAL });
    expect(r.format).toBe("npy");
    expect(r.key.endsWith(".npy")).toBe(true);
    expect(r.compressed_kv_url).toMatch(/^https?:\/\/.*\.npy$/);
    expect(r.bytes).toBe(12);
    expect(exported).toEqual([compressor.calls[0]!.outputPath]);
    expect(signed).toEqual([]); // the .npy has no signature; the container is not published
    const body = await (await fetch(r.compressed_kv_url)).text();
    expect(body).toContain("NUMPY fake");
    expect(await eventually(() => readdir(path.join(dir, "work")), [])).toEqual([]);
  });
  it("an unknown format is a 400", async () => {
    const e = await refusal(service().compress("big", { context: "c", target_model: MISTRAL, format: "pickle" }));
    expect(e.code).toBe("bad_request");
  });
});
