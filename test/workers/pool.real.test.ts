// The pool against the real Python worker (`python -m condense_worker --model tiny:llama`): transport
// round trips, protocol errors, deadlines, a kill -9, and a prefill checked against direct PyTorch.
import { execa } from "execa";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { create, toBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ErrorCode, ProtocolVersion, ToWorkerSchema, type FromWorker } from "../../ts/gen/condense/v1/worker_pb.js";
import {
  CancelledError,
  DeadlineExceededError,
  WorkerDeadError,
  WorkerPool,
  WorkerStartError,
  tensorFrom,
  type DTypeName,
  type Tensor,
} from "../../ts/workers/index.js";
import { FIXTURES, PYTHON, REPO, alive, quietLogger, startPoolParent, waitFor } from "./helpers.js";

let pool: WorkerPool;
const tmp = mkdtempSync(path.join(os.tmpdir(), "pool-real-"));

beforeAll(async () => {
  pool = await WorkerPool.start({
    workers: [{ model: "tiny:llama", device: "cpu", count: 1 }],
    readyTimeoutMs: 120_000,
    logger: quietLogger(),
    restart: { initialDelayMs: 100 },
  });
});

afterAll(async () => {
  await pool?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const echo = (tensors: Tensor[], transport: "frames" | "file" = "frames") =>
  pool.request({
    body: { case: "echo", value: transport === "file" ? { replyAsFile: true, fileDir: pool.fileDir } : {} },
    tensors,
    transport,
    timeoutMs: 30_000,
  });

/** The next reply the pool could not match to a pending request (answers to raw frames land there). */
function nextUnmatched(requestId: string): Promise<FromWorker> {
  return new Promise((resolve) => {
    const on = (e: { header: FromWorker }) => {
      if (e.header.requestId !== requestId) return;
      pool.off("unmatched-reply", on);
      resolve(e.header);
    };
    pool.on("unmatched-reply", on);
  });
}

function seeded(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe("WorkerPool with the real worker (tiny:llama)", () => {
  it("announces the model shape and capabilities in its Hello", () => {
    const h = pool.workers()[0]!.hello!;
    expect(h.protocolVersion).toBe(ProtocolVersion.CURRENT);
    expect(h.model).toBe("tiny:llama");
    expect(h.capabilities).toEqual(expect.arrayContaining(["prefill", "generate", "echo"]));
    expect(h.shape!.numLayers).toBeGreaterThan(0);
  });

  const dtypes: Array<[DTypeName, number]> = [["f32", 4], ["f16", 2], ["bf16", 2], ["i8", 1], ["i32", 4], ["i64", 8]];
  const shapes: number[][] = [[], [0], [1], [3, 0, 5], [2, 3, 4], [1, 2, 1, 3, 1], [7919]];

  it.each(dtypes)("round-trips %s tensors of every edge-case shape through frames and files", async (dtype, size) => {
    for (const transport of ["frames", "file"] as const) {
      const sent = shapes.map((shape, i) => {
        const n = shape.reduce((a, b) => a * b, 1);
        const bytes = seeded(n * size, i + 17 * size);
        return { name: `t${i}`, dtype, shape, data: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
      });
      const r = await echo(sent, transport);
      expect(r.tensors.map((t) => [t.name, t.dtype, t.shape])).toEqual(sent.map((t) => [t.name, t.dtype, t.shape]));
      for (const [i, t] of r.tensors.entries()) expect(Buffer.compare(t.data, sent[i]!.data)).toBe(0);
      expect(r.tensors.every((t) => t.view.length === t.data.length / size)).toBe(true);
    }
  });

  it("answers an undecodable header, a wrong protocol version and a garbage frame with typed errors, and keeps serving", async () => {
    const wid = pool.workers()[0]!.id;
    const garbageHeader = nextUnmatched("");
    await pool.sendRaw(wid, [Buffer.from([0xff, 0x01, 0x02, 0x03, 0x04])]);
    const g = await garbageHeader;
    expect(g.body.case).toBe("error");
    expect(g.body.case === "error" && g.body.value.code).toBe(ErrorCode.MALFORMED);

    const wrongVersion = nextUnmatched("raw-version");
    const v = create(ToWorkerSchema, { protocolVersion: 99 as ProtocolVersion, requestId: "raw-version", body: { case: "health", value: {} } });
    await pool.sendRaw(wid, [Buffer.from(toBinary(ToWorkerSchema, v))]);
    const w = await wrongVersion;
    expect(w.body.case === "error" && w.body.value.code).toBe(ErrorCode.UNSUPPORTED_VERSION);

    const badFrame = nextUnmatched("raw-frame");
    const f = create(ToWorkerSchema, {
      protocolVersion: ProtocolVersion.CURRENT,
      requestId: "raw-frame",
      tensors: [{ name: "x", dtype: 1, shape: [4n], location: { case: "frame", value: 0 } }],
      body: { case: "echo", value: {} },
    });
    await pool.sendRaw(wid, [Buffer.from(toBinary(ToWorkerSchema, f)), Buffer.alloc(15)]);
    const b = await badFrame;
    expect(b.body.case === "error" && b.body.value.code).toBe(ErrorCode.MALFORMED);

    const ok = await pool.request({ body: { case: "health", value: {} }, timeoutMs: 10_000 });
    expect(ok.header.body.case === "health" && ok.header.body.value.ok).toBe(true);
  });

  it("prefills a ~1k-token context and returns a KV cache equal to a direct PyTorch prefill", async () => {
    const context = "The quick brown fox jumps over the lazy dog. ".repeat(23);
    writeFileSync(path.join(tmp, "ctx.txt"), context);
    const prefix = path.join(tmp, "expected");
    await execa(PYTHON, [path.join(FIXTURES, "expected_prefill.py"), "--model", "tiny:llama", "--context-file", path.join(tmp, "ctx.txt"), "--out", prefix]);
    const manifest = JSON.parse(readFileSync(`${prefix}.json`, "utf8")) as {
      num_tokens: number;
      tensors: Array<{ name: string; shape: number[]; offset: number; nbytes: number }>;
    };
    const expected = readFileSync(`${prefix}.bin`);

    const r = await pool.request({ body: { case: "prefill", value: { context } }, timeoutMs: 60_000 });
    const shape = pool.workers()[0]!.hello!.shape!;
    expect(r.header.body.case === "prefill" && r.header.body.value.numTokens).toBe(manifest.num_tokens);
    expect(manifest.num_tokens).toBeGreaterThanOrEqual(1000);
    expect(r.tensors).toHaveLength(2 * shape.numLayers);
    for (const [i, t] of r.tensors.entries()) {
      const want = manifest.tensors[i]!;
      expect(t.name).toBe(want.name);
      expect(t.dtype).toBe("f32");
      expect(t.shape).toEqual([1, shape.numKvHeads, manifest.num_tokens, shape.headDim]);
      expect(t.shape).toEqual(want.shape);
      const ref = new Float32Array(expected.buffer.slice(expected.byteOffset + want.offset, expected.byteOffset + want.offset + want.nbytes));
      const got = t.view as Float32Array;
      let maxDiff = 0;
      for (let j = 0; j < ref.length; j++) maxDiff = Math.max(maxDiff, Math.abs(ref[j]! - got[j]!));
      expect(maxDiff).toBeLessThan(1e-4);
    }
  });

  it("uses the received KV cache for Generate (positions continue from the context length)", async () => {
    const context = "Alpha beta gamma delta. ".repeat(10);
    const p = await pool.request({ body: { case: "prefill", value: { context } }, timeoutMs: 30_000 });
    const n = p.header.body.case === "prefill" ? p.header.body.value.numTokens : 0;
    const g = await pool.request({
      body: { case: "generate", value: { question: " What comes next?", originalLength: n, maxNewTokens: 5 } },
      tensors: p.tensors,
      timeoutMs: 30_000,
    });
    expect(g.header.body.case).toBe("generate");
    expect(g.header.body.case === "generate" && g.header.body.value.tokenIds.length).toBeGreaterThan(0);
  });

  // 4000 greedy tokens from a small cache (no early EOS with these seeded weights): over a minute on the
  // development machine, longer than a test may take, so only a deadline, a cancel or a kill ends it in time.
  let cache: Tensor[] = [];
  const longGenerate = () => ({
    body: { case: "generate" as const, value: { question: " and", originalLength: 64, maxNewTokens: 4000 } },
    tensors: cache,
  });
  beforeAll(async () => {
    cache = (await pool.request({ body: { case: "prefill", value: { context: "y".repeat(64) } }, timeoutMs: 30_000 })).tensors;
  });

  it("enforces a deadline on a long request and cancels through an AbortSignal", async () => {
    const e1 = await pool.request({ ...longGenerate(), timeoutMs: 300 }).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(DeadlineExceededError);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 300);
    const e2 = await pool.request({ ...longGenerate(), signal: ac.signal }).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(CancelledError);
    // The worker answers the cancelled work and takes new requests.
    await expect(pool.request({ body: { case: "health", value: {} }, timeoutMs: 20_000 })).resolves.toBeDefined();
  });

  it("kill -9 in the middle of a request: fails fast with WorkerDeadError, the worker is replaced, later requests succeed", async () => {
    const oldPid = pool.workers()[0]!.pid!;
    const inflight = pool.request(longGenerate()).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 300));
    process.kill(oldPid, "SIGKILL");
    const err = await inflight;
    expect(err).toBeInstanceOf(WorkerDeadError);
    expect(await waitFor(() => pool.workers()[0]!.state === "ready", 60_000, 100)).toBe(true);
    expect(pool.workers()[0]!.pid).not.toBe(oldPid);
    expect(alive(oldPid)).toBe(false);
    const r = await pool.request({ body: { case: "health", value: {} }, timeoutMs: 20_000 });
    expect(r.header.body.case === "health" && r.header.body.value.ok).toBe(true);
  });

  it("close() leaves no worker process", async () => {
    const pids = pool.workers().map((w) => w.pid!);
    await pool.close();
    expect(pids.every((p) => !alive(p))).toBe(true);
  });
});

describe("a real worker outlives no orchestrator", () => {
  it("kill -9 of the process that owns the pool: the worker sees stdin EOF and exits", async () => {
    const { child, pids } = await startPoolParent("tiny:llama", 1);
    expect(pids).toHaveLength(1);
    expect(alive(pids[0]!)).toBe(true);
    child.kill("SIGKILL");
    await child;
    expect(await waitFor(() => !alive(pids[0]!), 15_000)).toBe(true);
  });
});

describe("a real worker that cannot start", () => {
  it("says why on the socket (WorkerDead before Hello) and the start error carries that cause", async () => {
    const missing = path.join(tmp, "no-such-model-dir");
    const err = await WorkerPool.start({
      workers: [{ model: missing, device: "cpu", count: 1 }],
      readyTimeoutMs: 120_000,
      logger: quietLogger(),
    }).then(
      async (p) => {
        await p.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(WorkerStartError);
    const e = err as WorkerStartError;
    expect(e.phase).toBe("startup");
    expect(e.reportedCause).toMatch(/start-up failed/);
    expect(e.reportedCause).toContain("no-such-model-dir");
    expect(e.exitCode).toBe(1);
  });
});

describe("a real remote worker paused and resumed", () => {
  it("SIGSTOP: lost, its in-flight request fails; SIGCONT: back on the same connection and serving", async () => {
    const workerKey = "real-remote-key-0123456789abcdef";
    const remotePool = await WorkerPool.start({
      workers: [],
      tcpEndpoint: "tcp://127.0.0.1:*",
      workerKey,
      heartbeatMs: 200,
      logger: quietLogger(),
    });
    const ready = () => new Promise((r) => remotePool.once("worker-ready", r));
    const first = ready();
    const remote = execa(
      PYTHON,
      ["-m", "condense_worker", "--connect", remotePool.endpoints.tcp!, "--model", "none", "--worker-id", "real-remote", "--heartbeat-ms", "200", "--threads", "1"],
      { stdin: "pipe", reject: false, cwd: path.join(REPO, "py"), extendEnv: false, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", CONDENSE_WORKER_KEY: workerKey } },
    );
    try {
      await first;
      const health = () => remotePool.request({ body: { case: "health", value: {} }, timeoutMs: 20_000 });
      await expect(health()).resolves.toMatchObject({ workerId: "real-remote" });
      remote.kill("SIGSTOP");
      const inflight = health().then(() => undefined, (e: unknown) => e);
      expect(await inflight).toBeInstanceOf(WorkerDeadError);
      expect(remotePool.workers()[0]?.state).toBe("lost");
      const back = ready();
      remote.kill("SIGCONT");
      await back;
      await expect(health()).resolves.toMatchObject({ workerId: "real-remote" });
    } finally {
      remote.kill("SIGCONT");
      remote.kill("SIGKILL");
      await remote;
      await remotePool.close();
    }
  });
});
