// The pool attacked from outside: workers that cannot start, remote workers that pause, co-tenants on the
// worker socket, secrets in the environment, and the pool's files on shared tmpfs.
import { execa, type ResultPromise } from "execa";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Dealer } from "zeromq";
import { defaultWorkerCommand } from "../../ts/workers/spawn.js";
import { NoWorkerError, WorkerDeadError, WorkerPool, WorkerStartError, type PoolOptions } from "../../ts/workers/index.js";
import { FIXTURES, PYTHON, childrenMatching, fakeCommand, quietLogger, waitFor, type FakeMode } from "./helpers.js";

const pools: WorkerPool[] = [];
const procs: ResultPromise[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  for (const p of procs.splice(0)) {
    p.kill("SIGCONT");
    p.kill("SIGKILL");
    await p;
  }
  for (const p of pools.splice(0)) await p.close();
});

async function startFake(extra: Partial<PoolOptions> & { modes?: FakeMode[]; count?: number; heartbeatMs?: number } = {}): Promise<WorkerPool> {
  const { modes, count, heartbeatMs, ...opts } = extra;
  const pool = await WorkerPool.start({
    workers: [{ model: "fake", device: "cpu", count: count ?? 1 }],
    command: fakeCommand({ modes, heartbeatMs }),
    readyTimeoutMs: 20_000,
    logger: quietLogger(),
    restart: { initialDelayMs: 100, maxDelayMs: 1_000 },
    ...opts,
  });
  pools.push(pool);
  return pool;
}

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

const sleep = (ms: number) => ({ body: { case: "tokenize" as const, value: { text: `sleep:${ms}` } } });

/** A fake worker started by hand (not by the pool), with a clean environment: a remote host or a co-tenant. */
function outsider(endpoint: string, id: string, extra: string[] = []): { proc: ResultPromise; requests: () => number } {
  let out = "";
  const proc = execa(PYTHON, [path.join(FIXTURES, "fake_worker.py"), "--connect", endpoint, "--worker-id", id, "--heartbeat-ms", "300", ...extra], {
    stdin: "pipe",
    reject: false,
    buffer: false,
    extendEnv: false,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", PYTHONPATH: path.resolve(FIXTURES, "../../../py") },
  });
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  procs.push(proc);
  return { proc, requests: () => out.split("\n").filter((l) => l.includes('"msg": "request"')).length };
}

describe("a local worker that cannot start", () => {
  it("reports the cause the worker sent in WorkerDead before its Hello", async () => {
    const err = await startFake({ modes: ["crash"] }).then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerStartError);
    const e = err as WorkerStartError;
    expect(e.workerId).toBe("w0");
    expect(e.phase).toBe("startup");
    expect(e.reportedCause).toMatch(/simulated import failure/);
    expect(e.message).toMatch(/simulated import failure/);
    expect(e.stderrTail).toEqual([]); // the cause came over the socket, not from stderr
  });

  it("stops being restarted after restart.maxAttempts failed starts; its queued requests fail at once", async () => {
    const pool = await startFake({ modes: ["normal", "crash"], restart: { initialDelayMs: 50, maxDelayMs: 100, maxAttempts: 3 } });
    const gaveUp = new Promise<{ workerId: string; error: Error }>((r) => pool.once("worker-failed", r));
    const dead = new Promise((r) => pool.once("worker-dead", r));
    process.kill(pool.workers()[0]!.pid!, "SIGKILL");
    await dead;
    const t0 = Date.now();
    const queued = pool.request({ ...sleep(1), timeoutMs: 60_000 }).then(() => undefined, (e: unknown) => e);
    const failed = await gaveUp;
    expect(failed.workerId).toBe("w0");
    const err = await queued;
    expect(err).toBeInstanceOf(WorkerStartError);
    expect((err as WorkerStartError).codeName).toBe("worker_dead");
    expect((err as Error).message).toMatch(/simulated import failure/);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(pool.workers()[0]!.state).toBe("failed");
    expect(pool.workers()[0]!.restarts).toBe(3);
    await expect(pool.request(sleep(1))).rejects.toBeInstanceOf(NoWorkerError);
    await new Promise((r) => setTimeout(r, 500));
    expect(childrenMatching("fake_worker.py")).toEqual([]);
  });

  it("does not grow the restart backoff from kills of workers that had been healthy", async () => {
    const { logger, lines } = captureLogs();
    const pool = await startFake({ logger });
    for (let i = 1; i <= 3; i++) {
      const pid = pool.workers()[0]!.pid!;
      await pool.request(sleep(1));
      process.kill(pid, "SIGKILL");
      expect(await waitFor(() => pool.workers()[0]!.state === "ready" && pool.workers()[0]!.restarts === i, 15_000)).toBe(true);
    }
    const delays = lines.filter((l) => l.msg === "restarting worker").map((l) => l.delayMs);
    expect(delays).toEqual([100, 100, 100]);
  });
});

describe("a remote tcp:// worker that stops answering for a while", () => {
  it("is kept as lost, its in-flight work fails, and it is re-admitted when it speaks again (SIGSTOP, SIGCONT)", async () => {
    const key = "remote-test-key-0123456789abcdef";
    const pool = await startFake({ count: 0, tcpEndpoint: "tcp://127.0.0.1:*", heartbeatMs: 300, workerKey: key });
    const ready = new Promise((r) => pool.once("worker-ready", r));
    const keyDir = mkdtempSync(path.join(os.tmpdir(), "condense-test-key-"));
    dirs.push(keyDir);
    writeFileSync(path.join(keyDir, "key"), `${key}\n`, { mode: 0o600 });
    const remote = outsider(pool.endpoints.tcp!, "gpu-host-1", ["--key-file", path.join(keyDir, "key")]);
    await ready;
    await expect(pool.request(sleep(1))).resolves.toMatchObject({ workerId: "gpu-host-1" });
    const inflight = pool.request(sleep(60_000)).then(() => undefined, (e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const lost = new Promise((r) => pool.once("worker-dead", r));
    remote.proc.kill("SIGSTOP");
    await lost;
    expect(await inflight).toBeInstanceOf(WorkerDeadError);
    expect(pool.workers().find((w) => w.id === "gpu-host-1")?.state).toBe("lost");
    const back = new Promise((r) => pool.once("worker-ready", r));
    remote.proc.kill("SIGCONT");
    await back;
    expect(pool.workers().find((w) => w.id === "gpu-host-1")?.state).toBe("ready");
    await expect(pool.request({ ...sleep(1), timeoutMs: 10_000 })).resolves.toMatchObject({ workerId: "gpu-host-1" });
  });
});

describe("the worker socket admits only workers holding the pool's key", () => {
  it("gives no work to co-tenants that connect without the key, with a wrong one, or under a live worker's id", async () => {
    const key = "the-right-key-0123456789abcdef00";
    const pool = await startFake({ tcpEndpoint: "tcp://127.0.0.1:*", workerKey: key });
    const refused: { workerId?: string; address?: string }[] = [];
    pool.on("refused", (e: { workerId?: string; address?: string }) => refused.push(e));
    const noKey = outsider(pool.endpoints.ipc, "evil-ipc");
    const wrongKey = outsider(pool.endpoints.tcp!, "evil-tcp", ["--key", "the-wrong-key-0123456789abcdef00"]);
    const prefixKey = outsider(pool.endpoints.tcp!, "evil-prefix", ["--key", key.slice(0, -1)]);
    // A co-tenant on this host reads the live worker's routing id from its command line and claims it.
    const argv = readFileSync(`/proc/${pool.workers()[0]!.pid}/cmdline`, "utf8").split("\0");
    const liveId = argv[argv.indexOf("--worker-id") + 1]!;
    expect(liveId).toMatch(/^w0-[0-9a-f]{12}$/);
    const hijack = outsider(pool.endpoints.tcp!, liveId, ["--key", "nope"]);
    const squat = outsider(pool.endpoints.tcp!, "w0", ["--key", "nope"]);
    // The four with a wrong key are refused during the handshake (ZAP); the one without any key cannot
    // even complete it (its NULL mechanism against our PLAIN).
    expect(await waitFor(() => refused.filter((e) => e.address === "127.0.0.1").length >= 4, 10_000)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    const replies = await Promise.all(Array.from({ length: 6 }, () => pool.request({ ...sleep(20), timeoutMs: 10_000 })));
    expect(replies.map((r) => r.workerId)).toEqual(Array(6).fill("w0"));
    expect(pool.workers().map((w) => w.id)).toEqual(["w0"]);
    for (const o of [noKey, wrongKey, prefixKey, hijack, squat]) expect(o.requests()).toBe(0);
    // A remote worker that holds the key is admitted and served.
    const ready = new Promise((r) => pool.once("worker-ready", r));
    const good = outsider(pool.endpoints.tcp!, "gpu-ok", ["--key", key]);
    await ready;
    const both = await Promise.all([pool.request(sleep(300)), pool.request(sleep(300))]);
    expect(new Set(both.map((r) => r.workerId))).toEqual(new Set(["w0", "gpu-ok"]));
    expect(good.requests()).toBeGreaterThan(0);
    expect(JSON.stringify(pool.workers())).not.toContain(key);
  });

  it("reads not one message from a connection that does not authenticate with the key (ZAP, before any Hello)", async () => {
    const key = "pre-auth-key-0123456789abcdef00";
    const pool = await startFake({ count: 0, tcpEndpoint: "tcp://127.0.0.1:*", workerKey: key });
    const seen: string[] = [];
    pool.on("malformed", (e: { workerId: string }) => seen.push(e.workerId));
    const refused: unknown[] = [];
    pool.on("refused", (e: unknown) => refused.push(e));
    const peers: Dealer[] = [];
    try {
      for (const [i, [endpoint, password]] of (
        [
          [pool.endpoints.tcp!, undefined],
          [pool.endpoints.ipc, undefined],
          [pool.endpoints.tcp!, "wrong-key-0123456789abcdef00000"],
          [pool.endpoints.tcp!, key],
        ] as const
      ).entries()) {
        const d = new Dealer({ routingId: `raw-${i}`, linger: 0, ...(password ? { plainUsername: "x", plainPassword: password } : {}) });
        d.connect(endpoint);
        peers.push(d);
        await d.send(Buffer.from("garbage, not a FromWorker header"));
      }
      // Only the peer that authenticated gets as far as an (undecodable) message.
      expect(await waitFor(() => seen.includes("raw-3"), 5_000)).toBe(true);
      expect(await waitFor(() => refused.length > 0, 5_000)).toBe(true);
      await new Promise((r) => setTimeout(r, 300));
      expect(seen).toEqual(["raw-3"]);
    } finally {
      for (const d of peers) d.close();
    }
  });

  it("refuses to bind tcp:// without a key remote workers can hold", async () => {
    const prev = process.env.CONDENSE_WORKER_KEY;
    delete process.env.CONDENSE_WORKER_KEY;
    try {
      await expect(startFake({ count: 0, tcpEndpoint: "tcp://127.0.0.1:*" })).rejects.toMatchObject({ codeName: "invalid_argument" });
    } finally {
      if (prev !== undefined) process.env.CONDENSE_WORKER_KEY = prev;
    }
  });
});

describe("what local workers inherit", () => {
  it("spawns workers with an allow-listed environment: no cloud keys, but PATH, HF_* and thread settings", async () => {
    process.env.AWS_SECRET_ACCESS_KEY = "leak-me-aws";
    process.env.CONDENSE_S3_SECRET = "leak-me-s3";
    process.env.HF_HOME = "/tmp/hf-home-test";
    process.env.OMP_NUM_THREADS = "1";
    try {
      const pool = await startFake();
      const environ = readFileSync(`/proc/${pool.workers()[0]!.pid}/environ`, "utf8").split("\0");
      const names = environ.map((kv) => kv.split("=")[0]);
      expect(names).not.toContain("AWS_SECRET_ACCESS_KEY");
      expect(names).not.toContain("CONDENSE_S3_SECRET");
      expect(environ.join("\n")).not.toMatch(/leak-me/);
      expect(environ).toContain("HF_HOME=/tmp/hf-home-test");
      expect(environ).toContain("OMP_NUM_THREADS=1");
      expect(names).toContain("PATH");
      expect(names).toContain("CONDENSE_WORKER_KEY"); // its own key, which it drops from os.environ at start
    } finally {
      delete process.env.AWS_SECRET_ACCESS_KEY;
      delete process.env.CONDENSE_S3_SECRET;
      delete process.env.HF_HOME;
      delete process.env.OMP_NUM_THREADS;
    }
  });

  it("passes --threads: the pool option, else the cores divided among the local workers", async () => {
    const { logger, lines } = captureLogs();
    await startFake({ count: 2, logger });
    const up = () => lines.filter((l) => l.msg === "fake worker up").map((l) => l.threads);
    expect(await waitFor(() => up().length === 2, 5_000)).toBe(true);
    const share = Math.max(1, Math.floor(os.availableParallelism() / 2));
    expect(up()).toEqual([share, share]);
    const second = captureLogs();
    await startFake({ count: 1, logger: second.logger, threads: 3 });
    expect(await waitFor(() => second.lines.some((l) => l.msg === "fake worker up"), 5_000)).toBe(true);
    expect(second.lines.find((l) => l.msg === "fake worker up")?.threads).toBe(3);
    const cmd = defaultWorkerCommand({ id: "w0", endpoint: "ipc:///x", spec: { model: "m", device: "cpu", count: 1 }, python: "py", threads: 2 });
    expect(cmd.args.join(" ")).toMatch(/--threads 2/);
  });
});

describe("the pool's socket and file folder", () => {
  it("are private (0700, unpredictable names) and removed on close", async () => {
    const a = await startFake({ count: 0 });
    const b = await startFake({ count: 0 });
    const sockDir = (p: WorkerPool) => path.dirname(p.endpoints.ipc.slice("ipc://".length));
    for (const p of [a, b]) {
      expect(statSync(sockDir(p)).mode & 0o777).toBe(0o700);
      expect(statSync(p.fileDir).mode & 0o777).toBe(0o700);
      expect(sockDir(p)).not.toBe(os.tmpdir());
    }
    expect(sockDir(a)).not.toBe(sockDir(b));
    expect(a.fileDir).not.toBe(b.fileDir);
    const dirs = [sockDir(a), a.fileDir];
    await a.close();
    for (const d of dirs) expect(existsSync(d)).toBe(false);
  });
});
