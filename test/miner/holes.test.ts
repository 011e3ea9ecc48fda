// The miner's request path attacked from outside (issue 9): label growth, a worker pointing the upload at
// another file, local paths in 5xx answers, one deadline for compute, export and upload, legacy validators.
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MinerError } from "../../ts/miner/errors.js";
import { PythonLegacyExporter } from "../../ts/miner/legacy.js";
import { WorkerPoolCompressor, type CompressCallOptions, type CompressJob } from "../../ts/miner/compressor.js";
import { toAxonError } from "../../ts/miner/routes.js";
import { MinerService, type MinerServiceOptions } from "../../ts/miner/service.js";
import { HttpStore, type ObjectStore } from "../../ts/storage/index.js";
import { SEED_TIERS, parseMinerMetadata } from "../../ts/subnet/index.js";
import { ErrorCode, WorkerError, type PoolRequest } from "../../ts/workers/index.js";
import { FakeCompressor, metagraphOf } from "./helpers.js";

const MISTRAL = "mistralai/Mistral-7B-Instruct-v0.2";
const LEGACY_MODEL = "Condense-AI/Mistral-7B-Instruct-v0.2";
let dir: string;
let store: HttpStore;
let compressor: FakeCompressor;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "miner-holes-"));
  store = await HttpStore.open({ dir: path.join(dir, "store"), host: "127.0.0.1", port: 0, urlExpiryS: 60 });
});
afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});
beforeEach(() => {
  compressor = new FakeCompressor();
});

function service(over: Partial<MinerServiceOptions> = {}): MinerService {
  const s = new MinerService({
    tiers: SEED_TIERS,
    servedTiers: ["research"],
    capacity: { research: 100_000 },
    models: [{ target: MISTRAL, workerModel: "tiny:llama", standIn: true }],
    algorithm: "knorm",
    ratio: 0.75,
    hotkey: "miner-hotkey",
    compressor,
    store,
    signContainer: async () => undefined,
    workDir: path.join(dir, "work"),
    callers: { minStake: 1, requirePermit: false, whitelist: [] },
    budgetFloor: 100_000,
    ...over,
  });
  s.updateMetagraph(metagraphOf([{ hotkey: "v", stake: 1000 }]));
  return s;
}

const refusal = async (p: Promise<unknown>): Promise<MinerError> => {
  const e = await p.then(() => null, (err: unknown) => err);
  expect(e).toBeInstanceOf(MinerError);
  return e as MinerError;
};

describe("metrics labels", () => {
  it("a caller's tier strings never become labels: 500 random tiers leave the label set bounded", async () => {
    const s = service();
    for (let i = 0; i < 500; i++) await s.compress("v", { format: "safetensors", context: "c", target_model: MISTRAL, tier: `tier-${i}-${"x".repeat(100)}` }).catch(() => undefined);
    await s.compress("v", { format: "safetensors", context: "c", target_model: MISTRAL, tier: "research" });
    const m = await s.metrics.requests.get();
    const tiers = new Set(m.values.map((v) => v.labels["tier"]));
    expect([...tiers].sort()).toEqual(["research", "unknown"]);
    expect(m.values.length).toBeLessThanOrEqual(4);
  });
});

describe("the worker's reply is checked", () => {
  it("a container path other than the one the miner chose is refused, and nothing is uploaded", async () => {
    const secret = path.join(dir, "secret.txt");
    await writeFile(secret, "not for validators");
    const puts: string[] = [];
    const spy: ObjectStore = { ...store, kind: "http", put: async (k, src, o) => (puts.push(k), store.put(k, src, o)), url: (k, o) => store.url(k, o), delete: (k) => store.delete(k), list: (p) => store.list(p), sweep: (a, n) => store.sweep(a, n), close: async () => undefined };
    const orig = compressor.compress.bind(compressor);
    compressor.compress = async (job) => ({ ...(await orig(job)), path: secret });
    const e = await refusal(service({ store: spy }).compress("v", { format: "safetensors", context: "c", target_model: MISTRAL }));
    expect(e.code).toBe("compress_failed");
    expect(puts).toEqual([]);
  });

  it("WorkerPoolCompressor refuses a reply naming another path too", async () => {
    const pool = {
      request: async (req: PoolRequest) => {
        const v = req.body.value as { outputPath: string };
        return { workerId: "w0", tensors: [], header: { body: { case: "compress", value: { path: `${v.outputPath}.other`, info: { bytes: 1n, keptTokens: 1, originalTokens: 2, sha256Context: "" }, computeMs: 1, serializeMs: 1, legacyNpyBytes: 0n } } } };
      },
    };
    const c = new WorkerPoolCompressor(pool as never);
    await expect(c.compress(job(), { deadline: Date.now() + 1000 })).rejects.toThrow(/another path/);
  });
});

function job(): CompressJob {
  return { context: "c", targetModel: MISTRAL, algorithm: "knorm", ratio: 0.5, minTokens: 1, maxTokens: 10, outputPath: path.join(dir, "out.safetensors"), minerHotkey: "m" };
}

describe("5xx answers carry no local paths", () => {
  const leak = "/dev/shm/condense-miner-AbC123/0f9e.safetensors";
  it("a worker failure that names a file answers 500 with a reference only", async () => {
    compressor.failWith = new Error(`ENOSPC: no space left on device, write '${leak}'`);
    const e = await refusal(service().compress("v", { format: "safetensors", context: "c", target_model: MISTRAL }));
    const ax = toAxonError(e);
    expect(ax.status).toBe(500);
    expect(ax.message).not.toContain("/dev/shm");
    expect(ax.message).toMatch(/^compress_failed: internal error #[0-9a-f-]{36}$/);
    expect(ax.detail).toContain(leak); // kept for the log
  });
  it("a worker's typed refusal does not pass its text (which may name files) to the caller", async () => {
    compressor.failWith = new WorkerError(ErrorCode.INVALID_ARGUMENT, `cannot write the container: ${leak}`);
    const ax = toAxonError(await refusal(service().compress("v", { format: "safetensors", context: "c", target_model: MISTRAL })));
    expect(ax.status).toBe(400);
    expect(ax.message).not.toContain("/dev/shm");
  });
  it("a work folder that cannot be made is a 500 without its path", async () => {
    const blocker = path.join(dir, "file-not-dir");
    await writeFile(blocker, "x");
    const e = await refusal(service({ workDir: path.join(blocker, "sub") }).compress("v", { format: "safetensors", context: "c", target_model: MISTRAL }));
    expect(toAxonError(e).message).not.toContain(dir);
    expect(e.message).not.toContain(dir);
  });
});

describe("one deadline", () => {
  it("the compute gets the request's own deadline, not a 1 s floor", async () => {
    const seen: CompressCallOptions[] = [];
    const orig = compressor.compress.bind(compressor);
    compressor.compress = async (j: CompressJob, o?: CompressCallOptions) => (seen.push(o!), orig(j));
    const deadline = Date.now() + 300;
    await service().compress("v", { format: "safetensors", context: "c", target_model: MISTRAL }, { deadline });
    expect(seen[0]!.deadline).toBe(deadline);
  });

  it("a deadline already passed never reaches the workers", async () => {
    const e = await refusal(service().compress("v", { format: "safetensors", context: "c", target_model: MISTRAL }, { deadline: Date.now() - 1 }));
    expect(e.code).toBe("deadline_exceeded");
    expect(compressor.calls).toHaveLength(0);
  });

  it("the legacy export gets what is left of the deadline, not a floor of its own", async () => {
    let got: { timeoutMs?: number; signal?: AbortSignal } = {};
    const s = service({
      legacy: {
        toNpy: async (_src, dst, o) => {
          got = o ?? {};
          await writeFile(dst, "npy");
          return 3;
        },
      },
    });
    const deadline = Date.now() + 400;
    await s.compress("v", { context: "c", target_model: MISTRAL }, { deadline });
    expect(got.timeoutMs).toBeGreaterThan(0);
    expect(got.timeoutMs).toBeLessThanOrEqual(400);
    expect(got.signal).toBeDefined();
  });

  it("an upload that hangs ends at the request's deadline with deadline_exceeded", async () => {
    const hanging: ObjectStore = {
      kind: "s3",
      put: (_k, _s, o) => new Promise((_, reject) => o?.signal?.addEventListener("abort", () => reject(new Error("aborted")))),
      url: async () => "http://unused",
      delete: async () => undefined,
      list: async function* () {},
      sweep: async () => 0,
      close: async () => undefined,
    };
    const t0 = performance.now();
    const e = await refusal(service({ store: hanging }).compress("v", { format: "safetensors", context: "c", target_model: MISTRAL }, { deadline: Date.now() + 300 }));
    expect(e.code).toBe("deadline_exceeded");
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it("the deadline is fixed at admission: time waiting before the run is not given back", async () => {
    const seen: number[] = [];
    const orig = compressor.compress.bind(compressor);
    compressor.compress = async (j: CompressJob, o?: CompressCallOptions) => (seen.push(o!.deadline), orig(j));
    const s = service();
    const a = s.admit("v", { format: "safetensors", context: "c", target_model: MISTRAL }, { deadline: Date.now() + 5000 });
    await new Promise((r) => setTimeout(r, 200));
    // a later caller-side deadline (e.g. one restarted after a queue) cannot extend it
    await s.run(a, { deadline: Date.now() + 60_000 });
    expect(seen[0]).toBe(a.deadline);
  });

  it("the pool request carries the absolute deadline and the caller's signal", async () => {
    const reqs: PoolRequest[] = [];
    const pool = {
      request: async (req: PoolRequest) => {
        reqs.push(req);
        const v = req.body.value as { outputPath: string };
        return { workerId: "w0", tensors: [], header: { body: { case: "compress", value: { path: v.outputPath, info: { bytes: 1n, keptTokens: 1, originalTokens: 2, sha256Context: "" }, computeMs: 1, serializeMs: 1, legacyNpyBytes: 0n } } } };
      },
    };
    const ac = new AbortController();
    const deadline = Date.now() + 1234;
    await new WorkerPoolCompressor(pool as never).compress(job(), { deadline, signal: ac.signal });
    expect(reqs[0]!.deadline).toBe(deadline);
    expect(reqs[0]!.timeoutMs).toBeUndefined();
    expect(reqs[0]!.signal).toBe(ac.signal);
  });
});

describe("legacy validators (subnet v0.0.3)", () => {
  const exporter = { toNpy: async (_s: string, d: string) => (await writeFile(d, "npy"), 3) };
  it("the Condense-AI model id, a 15,000-character context and up to 1536 kept tokens are served", async () => {
    const s = service({ legacy: exporter });
    const r = await s.compress("v", { context: "y".repeat(15_000), target_model: LEGACY_MODEL });
    expect(r.format).toBe("npy");
    expect(r.tier).toBe("research");
    expect(compressor.calls[0]).toMatchObject({ targetModel: MISTRAL, minTokens: 128, maxTokens: 1536 });
  });
  it("our validators, which name the tier, keep the tier's own bounds", async () => {
    const s = service({ legacy: exporter });
    expect((await refusal(s.compress("v", { context: "y".repeat(10_001), target_model: MISTRAL, tier: "research", format: "safetensors" }))).code).toBe("context_too_long");
    await s.compress("v", { context: "y", target_model: MISTRAL, tier: "research", format: "safetensors" });
    expect(compressor.calls.at(-1)!.maxTokens).toBe(1024);
  });
  it("beyond the v0.0.3 bound is still refused", async () => {
    expect((await refusal(service({ legacy: exporter }).compress("v", { context: "y".repeat(15_001), target_model: LEGACY_MODEL }))).code).toBe("context_too_long");
  });
});

describe("Metadata", () => {
  it("what the miner answers is what the validator's parser accepts", () => {
    const m = parseMinerMetadata(JSON.parse(JSON.stringify(service().metadata("v"))));
    expect(m.tiers!["research"]).toMatchObject({ capacity: 100_000, used: 0 });
    expect(m.tier).toBe("research");
  });
  it("work files do not outlive the request", async () => {
    await service().compress("v", { format: "safetensors", context: "c", target_model: MISTRAL });
    for (let i = 0; i < 50 && (await readdir(path.join(dir, "work"))).length; i++) await new Promise((r) => setTimeout(r, 10));
    expect(await readdir(path.join(dir, "work"))).toEqual([]);
  });
});

describe("the legacy exporter's Python process", () => {
  it("does not inherit the miner's secrets (S3 keys) from the environment", async () => {
    const fake = path.join(dir, "fake-python.sh");
    const dump = path.join(dir, "env.txt");
    await writeFile(fake, `#!/bin/sh\nenv > "${dump}"\necho 3\n`);
    await chmod(fake, 0o755);
    process.env["CONDENSE_STORAGE_S3_SECRET_KEY"] = "s3cr3t-value";
    process.env["AWS_SECRET_ACCESS_KEY"] = "aws-s3cr3t";
    try {
      expect(await new PythonLegacyExporter(fake).toNpy("/in", "/out")).toBe(3);
    } finally {
      delete process.env["CONDENSE_STORAGE_S3_SECRET_KEY"];
      delete process.env["AWS_SECRET_ACCESS_KEY"];
    }
    const env = await readFile(dump, "utf8");
    expect(env).not.toContain("s3cr3t");
    expect(env).toContain("PATH=");
  });
});
