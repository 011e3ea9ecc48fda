// WorkerPool lifecycle, routing, errors and supervision against the scripted fake worker (no model load).
import { execa } from "execa";
import { existsSync, readdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { Registry } from "prom-client";
import { afterEach, describe, expect, it } from "vitest";
import {
  CancelledError,
  DeadlineExceededError,
  MalformedError,
  NoWorkerError,
  OverloadedError,
  ProtocolMismatchError,
  WorkerDeadError,
  WorkerPool,
  WorkerStartError,
  tensorFrom,
  type PoolOptions,
} from "../../ts/workers/index.js";
import { FIXTURES, PYTHON, alive, childrenMatching, fakeCommand, pgidOf, quietLogger, startPoolParent, waitFor, type FakeMode } from "./helpers.js";

const pools: WorkerPool[] = [];
afterEach(async () => {
  for (const p of pools.splice(0)) await p.close();
});

async function startFake(
  extra: Partial<PoolOptions> & { modes?: FakeMode[]; count?: number; heartbeatMs?: number; maxInflight?: number } = {},
): Promise<WorkerPool> {
  const { modes, count, heartbeatMs, maxInflight, ...opts } = extra;
  const pool = await WorkerPool.start({
    workers: [{ model: "fake", device: "cpu", count: count ?? 1 }],
    command: fakeCommand({ modes, heartbeatMs, maxInflight }),
    readyTimeoutMs: 20_000,
    logger: quietLogger(),
    restart: { initialDelayMs: 100, maxDelayMs: 1_000 },
    ...opts,
  });
  pools.push(pool);
  return pool;
}

const sleep = (ms: number) => ({ body: { case: "tokenize" as const, value: { text: `sleep:${ms}` } } });

function captureLogs(): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const dest = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split("\n")) if (l.trim()) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: pino({ level: "debug" }, dest), lines };
}

describe("WorkerPool with the scripted fake worker", () => {
  it("spawns workers, waits for Hello and answers requests with typed tensor views", async () => {
    const pool = await startFake({ count: 2 });
    const infos = pool.workers();
    expect(infos.map((w) => w.state)).toEqual(["ready", "ready"]);
    for (const w of infos) {
      expect(alive(w.pid!)).toBe(true);
      expect(pgidOf(w.pid!)).toBe(w.pid); // its own process group, so a group kill reaches its children
    }
    const values = new Float32Array([1.5, -2, 3.25, 0, 7, -0.5]);
    const r = await pool.request({ body: { case: "echo", value: {} }, tensors: [tensorFrom("x", "f32", [2, 3], values)] });
    expect(r.header.body.case).toBe("echo");
    expect(r.tensors).toHaveLength(1);
    expect(r.tensors[0]!.shape).toEqual([2, 3]);
    expect(r.tensors[0]!.view).toBeInstanceOf(Float32Array);
    expect(Array.from(r.tensors[0]!.view as Float32Array)).toEqual(Array.from(values));
  });

  it("routes concurrent work to the least-loaded worker", async () => {
    const pool = await startFake({ count: 2 });
    const [a, b] = await Promise.all([pool.request(sleep(300)), pool.request(sleep(300))]);
    expect(new Set([a.workerId, b.workerId])).toEqual(new Set(["w0", "w1"]));
  });

  it("fails an in-flight request with WorkerDeadError when its worker is killed -9, then replaces the worker", async () => {
    const registry = new Registry();
    const pool = await startFake({ registry });
    const oldPid = pool.workers()[0]!.pid!;
    // Ten minutes of work: only the kill can end it within the test's time limit.
    const inflight = pool.request(sleep(600_000));
    await new Promise((r) => setTimeout(r, 200));
    process.kill(oldPid, "SIGKILL");
    const err = await inflight.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerDeadError);
    expect((err as WorkerDeadError).workerId).toBe("w0");
    expect((err as Error).message).toMatch(/SIGKILL/);
    expect(await waitFor(() => pool.workers()[0]!.state === "ready", 15_000)).toBe(true);
    const info = pool.workers()[0]!;
    expect(info.pid).not.toBe(oldPid);
    expect(info.restarts).toBe(1);
    expect(alive(oldPid)).toBe(false);
    const after = await pool.request(sleep(10));
    expect(after.header.body.case).toBe("tokenize");
    expect(await registry.metrics()).toMatch(/condense_worker_restarts_total\{worker="w0"\} 1/);
  });

  it("fails in-flight work with the cause a dying worker reports in WorkerDead", async () => {
    const pool = await startFake({ maxInflight: 2 });
    const sleeping = pool.request(sleep(10_000));
    const err = await pool.request({ body: { case: "tokenize", value: { text: "die" } } }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerDeadError);
    expect((err as Error).message).toMatch(/simulated CUDA error/);
    await expect(sleeping).rejects.toBeInstanceOf(WorkerDeadError);
  });

  it("backs off exponentially while a replacement keeps failing to start, then recovers", async () => {
    const { logger, lines } = captureLogs();
    const pool = await startFake({ logger, modes: ["normal", "crash", "crash", "normal"] });
    process.kill(pool.workers()[0]!.pid!, "SIGKILL");
    expect(await waitFor(() => pool.workers()[0]!.state === "ready" && pool.workers()[0]!.restarts === 3, 20_000)).toBe(true);
    const delays = lines.filter((l) => l.msg === "restarting worker").map((l) => l.delayMs);
    expect(delays).toEqual([100, 200, 400]);
    await expect(pool.request(sleep(1))).resolves.toBeDefined();
  });

  it("keeps requests queued while the only worker restarts and serves them from its replacement", async () => {
    const pool = await startFake();
    const oldPid = pool.workers()[0]!.pid!;
    const dead = new Promise((r) => pool.once("worker-dead", r));
    process.kill(oldPid, "SIGKILL");
    await dead;
    expect(pool.workers()[0]!.state).not.toBe("ready");
    const r = await pool.request({ ...sleep(10), timeoutMs: 15_000 });
    expect(r.workerId).toBe("w0");
    expect(pool.workers()[0]!.pid).not.toBe(oldPid);
  });

  it("kills the whole process group: helpers a worker started die with it, on death and on close", async () => {
    const { logger, lines } = captureLogs();
    const pool = await startFake({ logger, modes: ["with-child", "with-child"] });
    const helpers = () => lines.filter((l) => l.msg === "spawned helper").map((l) => l.helper_pid as number);
    expect(await waitFor(() => helpers().length === 1, 5_000)).toBe(true);
    const first = helpers()[0]!;
    expect(alive(first)).toBe(true);
    process.kill(pool.workers()[0]!.pid!, "SIGKILL");
    expect(await waitFor(() => !alive(first), 5_000)).toBe(true);
    expect(await waitFor(() => helpers().length === 2 && pool.workers()[0]!.state === "ready", 15_000)).toBe(true);
    const second = helpers()[1]!;
    expect(alive(second)).toBe(true);
    await pool.close();
    expect(alive(second)).toBe(false);
  });

  it("answers at once with OverloadedError when the queue is full", async () => {
    const pool = await startFake({ maxQueue: 1 });
    const running = pool.request(sleep(500));
    const queued = pool.request(sleep(10));
    const err = await pool.request(sleep(10)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(OverloadedError);
    expect((err as OverloadedError).codeName).toBe("overloaded");
    expect((err as OverloadedError).httpStatus).toBe(429);
    await expect(running).resolves.toBeDefined();
    await expect(queued).resolves.toBeDefined();
  });

  it("fails with NoWorkerError when no worker offers the capability", async () => {
    const pool = await startFake();
    await expect(pool.request({ ...sleep(1), capability: "compress:knorm" })).rejects.toBeInstanceOf(NoWorkerError);
  });

  it("enforces deadlines, in the queue and in flight, with DeadlineExceededError", async () => {
    const pool = await startFake();
    const inflight = pool.request({ ...sleep(5_000), timeoutMs: 300 });
    const queued = pool.request({ ...sleep(10), timeoutMs: 100 });
    const [e1, e2] = await Promise.all([inflight.catch((e: unknown) => e), queued.catch((e: unknown) => e)]);
    expect(e1).toBeInstanceOf(DeadlineExceededError);
    expect(e2).toBeInstanceOf(DeadlineExceededError);
    // The worker's slot is free again once it answered the expired request.
    await expect(pool.request({ ...sleep(10), timeoutMs: 3_000 })).resolves.toBeDefined();
  });

  it("takes timeoutMs (relative) and deadline (absolute epoch ms); the earlier wins", async () => {
    const pool = await startFake();
    const timed = async (req: Parameters<WorkerPool["request"]>[0]) => {
      const t0 = Date.now();
      const e = await pool.request(req).catch((x: unknown) => x);
      return { e, ms: Date.now() - t0 };
    };
    const byDeadline = await timed({ ...sleep(5_000), timeoutMs: 60_000, deadline: Date.now() + 300 });
    expect(byDeadline.e).toBeInstanceOf(DeadlineExceededError);
    expect(byDeadline.ms).toBeLessThan(3_000);
    const byTimeout = await timed({ ...sleep(5_000), timeoutMs: 300, deadline: Date.now() + 60_000 });
    expect(byTimeout.e).toBeInstanceOf(DeadlineExceededError);
    expect(byTimeout.ms).toBeLessThan(3_000);
    // A deadline already past fails at once, without reaching a worker.
    const past = await timed({ ...sleep(10), deadline: Date.now() - 1 });
    expect(past.e).toBeInstanceOf(DeadlineExceededError);
    expect(past.ms).toBeLessThan(100);
    await expect(pool.request({ ...sleep(1), deadline: Number.NaN })).rejects.toMatchObject({ codeName: "invalid_argument" });
    await expect(pool.request({ ...sleep(10), deadline: Date.now() + 10_000 })).resolves.toBeDefined();
    // Beyond setTimeout's 2^31 ms range: a far deadline, not an instant one.
    await expect(pool.request({ ...sleep(50), timeoutMs: 2 ** 32 })).resolves.toBeDefined();
    await expect(pool.request({ ...sleep(50), deadline: Number.MAX_SAFE_INTEGER })).resolves.toBeDefined();
  });

  it("cancels through an AbortSignal, queued or in flight, and sends the worker a CancelRequest", async () => {
    const { logger, lines } = captureLogs();
    const pool = await startFake({ logger });
    const ac1 = new AbortController();
    const ac2 = new AbortController();
    const inflight = pool.request({ ...sleep(5_000), signal: ac1.signal });
    const queued = pool.request({ ...sleep(5_000), signal: ac2.signal });
    setTimeout(() => ac2.abort(new Error("client went away")), 50);
    setTimeout(() => ac1.abort(), 100);
    const [e1, e2] = await Promise.all([inflight.catch((e: unknown) => e), queued.catch((e: unknown) => e)]);
    expect(e1).toBeInstanceOf(CancelledError);
    expect(e2).toBeInstanceOf(CancelledError);
    expect((e2 as Error).message).toMatch(/client went away/);
    // The worker's JSON log line, re-emitted through the pool's logger tagged with the worker id.
    expect(await waitFor(() => lines.some((l) => l.msg === "cancel" && l.worker === "w0"), 3_000)).toBe(true);
    const pre = new AbortController();
    pre.abort();
    await expect(pool.request({ ...sleep(1), signal: pre.signal })).rejects.toBeInstanceOf(CancelledError);
  });

  it("refuses a worker that speaks another protocol version, by name", async () => {
    const err = await startFake({ modes: ["bad-version"] }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(ProtocolMismatchError);
    expect((err as Error).message).toMatch(/w0.*protocol version mismatch: worker speaks 99, orchestrator speaks 1/);
  });

  it("reports a worker that dies before Hello with its id, phase, exit code and stderr", async () => {
    const err = await startFake({ modes: ["crash-early"] }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerStartError);
    const e = err as WorkerStartError;
    expect(e.workerId).toBe("w0");
    expect(e.phase).toBe("spawn");
    expect(e.exitCode).toBe(3);
    expect(e.stderrTail.join("\n")).toMatch(/simulated import failure/);
    expect(e.message).toMatch(/exit code 3/);
  });

  it("stops the workers already started when another fails to start", async () => {
    const err = await startFake({ count: 2, modes: ["normal", "crash-early"] }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerStartError);
    expect((err as WorkerStartError).workerId).toBe("w1");
    expect(await waitFor(() => childrenMatching("fake_worker.py").length === 0, 5_000)).toBe(true);
  });

  it("reports a missing interpreter as a spawn failure", async () => {
    const err = await startFake({ python: "/nonexistent/python3" }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerStartError);
    expect((err as WorkerStartError).phase).toBe("spawn");
    expect((err as Error).message).toMatch(/w0 failed during spawn/);
  });

  it("gives up on a worker that never says Hello after readyTimeoutMs and kills it", async () => {
    const err = await startFake({ modes: ["no-hello"], readyTimeoutMs: 1_500 }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerStartError);
    expect((err as WorkerStartError).phase).toBe("handshake");
  });

  it("marks a worker dead after three missed heartbeats and restarts it", async () => {
    const pool = await startFake({ modes: ["silent", "normal"], heartbeatMs: 100 });
    const dead = new Promise((r) => pool.once("worker-dead", r));
    const err = await pool.request(sleep(10_000)).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerDeadError);
    expect((err as Error).message).toMatch(/missed 3 heartbeats/);
    await dead;
    expect(await waitFor(() => pool.workers()[0]!.state === "ready", 15_000)).toBe(true);
    await expect(pool.request(sleep(10))).resolves.toBeDefined();
  });

  it("answers a reply whose frame does not match its shape with MalformedError", async () => {
    const pool = await startFake({ modes: ["garbage-reply"] });
    const err = await pool
      .request({ body: { case: "echo", value: {} }, tensors: [tensorFrom("x", "i32", [4], new Int32Array([1, 2, 3, 4]))] })
      .then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(MalformedError);
    expect((err as Error).message).toMatch(/i32\[4\] needs 16 bytes but its frame has 15/);
  });

  it("refuses a tensor whose bytes do not match its shape and a request without a valid kind or deadline", async () => {
    const pool = await startFake();
    const bad = { name: "x", dtype: "f32" as const, shape: [3], data: Buffer.alloc(8) };
    await expect(pool.request({ body: { case: "echo", value: {} }, tensors: [bad] })).rejects.toBeInstanceOf(MalformedError);
    // Untyped callers: a body without a request kind, or a cancel (the pool's own job), is refused by name.
    const noKind = { body: { value: {} } } as unknown as Parameters<WorkerPool["request"]>[0];
    await expect(pool.request(noKind)).rejects.toMatchObject({ codeName: "invalid_argument" });
    const cancel = { body: { case: "cancel", value: { targetRequestId: "x" } } } as unknown as Parameters<WorkerPool["request"]>[0];
    await expect(pool.request(cancel)).rejects.toMatchObject({ codeName: "invalid_argument" });
    await expect(pool.request({ ...sleep(1), timeoutMs: -5 })).rejects.toMatchObject({ codeName: "invalid_argument" });
  });

  it("streams TrainProgress through onProgress and the async iterator until final", async () => {
    const pool = await startFake();
    const steps: number[] = [];
    const final = await pool.request({
      body: { case: "train", value: { maxSteps: 4 } },
      onProgress: (r) => {
        if (r.header.body.case === "trainProgress") steps.push(Number(r.header.body.value.step));
      },
    });
    expect(steps).toEqual([1, 2, 3]);
    expect(final.header.body.case === "trainProgress" && final.header.body.value.final).toBe(true);
    const seen: number[] = [];
    for await (const r of pool.stream({ body: { case: "train", value: { maxSteps: 3 } } })) {
      if (r.header.body.case === "trainProgress") seen.push(Number(r.header.body.value.step));
    }
    expect(seen).toEqual([1, 2, 3]);
    // Leaving the loop early cancels the rest; the worker is free for the next request.
    for await (const r of pool.stream({ body: { case: "train", value: { maxSteps: 1000 } } })) {
      if (r.header.body.case === "trainProgress" && r.header.body.value.step >= 2n) break;
    }
    await expect(pool.request({ ...sleep(1), timeoutMs: 5_000 })).resolves.toBeDefined();
  });

  it("moves tensors as tmpfs files (FileRef) both ways and removes them afterwards", async () => {
    const pool = await startFake();
    const data = new Int8Array(1 << 20).map((_, i) => (i * 7) % 251);
    const r = await pool.request({
      body: { case: "echo", value: { replyAsFile: true, fileDir: pool.fileDir } },
      tensors: [tensorFrom("blob", "i8", [1024, 1024], data)],
      transport: "file",
    });
    expect(r.header.tensors[0]!.location.case).toBe("file");
    expect(Buffer.compare(r.tensors[0]!.data, Buffer.from(data.buffer))).toBe(0);
    expect(readdirSync(pool.fileDir)).toEqual([]);
  });

  it("accepts a remote worker over tcp:// that holds the key and forgets it when its connection closes", async () => {
    const workerKey = "remote-key-0123456789abcdef";
    const pool = await startFake({ count: 0, tcpEndpoint: "tcp://127.0.0.1:*", heartbeatMs: 300, workerKey });
    expect(pool.endpoints.tcp).toMatch(/^tcp:\/\/127\.0\.0\.1:\d+$/);
    await expect(pool.request(sleep(1))).rejects.toBeInstanceOf(NoWorkerError);
    const ready = new Promise((r) => pool.once("worker-ready", r));
    const remote = execa(PYTHON, [path.join(FIXTURES, "fake_worker.py"), "--connect", pool.endpoints.tcp!, "--worker-id", "gpu-host-1", "--heartbeat-ms", "300"], {
      stdin: "pipe",
      reject: false,
      env: { CONDENSE_WORKER_KEY: workerKey },
    });
    try {
      await ready;
      const r = await pool.request(sleep(10));
      expect(r.workerId).toBe("gpu-host-1");
      expect(pool.workers().find((w) => w.id === "gpu-host-1")?.local).toBe(false);
      const gone = new Promise((r) => pool.once("worker-dead", r));
      remote.kill("SIGKILL");
      await gone;
      expect(pool.workers().some((w) => w.id === "gpu-host-1")).toBe(false);
    } finally {
      remote.kill("SIGKILL");
      await remote;
    }
  });

  it("close() shuts every local worker down and leaves no process", async () => {
    const pool = await startFake({ count: 2 });
    const pids = pool.workers().map((w) => w.pid!);
    await pool.close();
    expect(pids.every((pid) => !alive(pid))).toBe(true);
    expect(existsSync(pool.fileDir)).toBe(false);
    await expect(pool.request(sleep(1))).rejects.toThrow(/closed/);
  });
});

describe("no orphan workers when the orchestrator process ends", () => {
  async function startParent(extraArgs: string[] = []) {
    const { child, pids } = await startPoolParent("fake", 2, extraArgs);
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    return { child, pids };
  }

  it("kill -9 of the parent: workers see stdin EOF and exit; the next pool sweeps what it left", async () => {
    const { child, pids } = await startParent();
    const leftovers = () => readdirSync("/dev/shm").filter((n) => n.startsWith(`condense-${child.pid}-`));
    expect(leftovers()).toHaveLength(1);
    child.kill("SIGKILL");
    await child;
    expect(await waitFor(() => pids.every((p) => !alive(p)), 10_000)).toBe(true);
    await startFake({ count: 0 });
    expect(leftovers()).toEqual([]);
  });

  it("SIGTERM of the parent: the pool kills its workers' process groups and removes its folders", async () => {
    const { child, pids } = await startParent();
    const ours = () =>
      ["/dev/shm", os.tmpdir()].flatMap((d) => readdirSync(d).filter((n) => n.startsWith(`condense-${child.pid}-`)));
    expect(ours()).toHaveLength(2); // the socket folder and the file folder
    child.kill("SIGTERM");
    const r = await child;
    expect(r.exitCode).toBe(143);
    expect(await waitFor(() => pids.every((p) => !alive(p)), 10_000)).toBe(true);
    expect(ours()).toEqual([]);
  });

  it("an uncaught exception in the parent: the exit hook kills the workers", async () => {
    const { child, pids } = await startParent(["100"]);
    const r = await child;
    expect(r.exitCode).not.toBe(0);
    expect(await waitFor(() => pids.every((p) => !alive(p)), 10_000)).toBe(true);
  });
});
