// WorkerPool: binds the ROUTER, supervises local workers, admits, routes and times out requests.
import { EventEmitter } from "node:events";
import { existsSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, unlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomBytes, timingSafeEqual } from "node:crypto";
import { fileURLToPath } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import pino, { type Logger } from "pino";
import { Router } from "zeromq";
import { ErrorCode, ProtocolVersion, ToWorkerSchema, type FromWorker, type Hello } from "../gen/condense/v1/worker_pb.js";
import { decodeHeader, decodeTensors, encodeToWorker } from "./codec.js";
import {
  CancelledError,
  DeadlineExceededError,
  MalformedError,
  NoWorkerError,
  OverloadedError,
  PoolClosedError,
  ProtocolMismatchError,
  WorkerDeadError,
  WorkerError,
  WorkerStartError,
  fromWireError,
} from "./errors.js";
import { PoolMetrics } from "./metrics.js";
import { registerPool, unregisterPool } from "./reaper.js";
import { WORKER_DTYPE_FLAG, defaultWorkerCommand, spawnWorker, workerEnv, type WorkerProcess } from "./spawn.js";
import { checkSize } from "./tensor.js";
import { addZapDomain, keyDigest, removeZapDomain } from "./zap.js";
import type {
  LocalWorkerSpec,
  PoolOptions,
  PoolReply,
  PoolRequest,
  RestartPolicy,
  WorkerCommand,
  WorkerInfo,
  WorkerState,
} from "./types.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const MISSED_HEARTBEATS = 3;
const SHUTDOWN_GRACE_MS = 2_000;
/** How long a cancelled or timed-out request keeps its worker slot while we wait for the worker's answer. */
const ABANDON_GRACE_MS = 5_000;
const EXIT_GRACE_MS = 100;
/** How long a worker that sent WorkerDead before its Hello may take to exit before we stop waiting for its exit code. */
const DEAD_EXIT_WAIT_MS = 3_000;
/** A lost remote worker still connected but silent this long is forgotten. */
const LOST_FORGET_MS = 600_000;
/** libzmq ZMQ_ROUTER_NOTIFY (draft) and ZMQ_NOTIFY_DISCONNECT: an empty message from a peer whose connection ended. */
const ZMQ_ROUTER_NOTIFY = 97;
const ZMQ_NOTIFY_DISCONNECT = 2;
/** The environment variable a worker reads the pool key from. */
export const WORKER_KEY_ENV = "CONDENSE_WORKER_KEY";
const MIN_KEY_LENGTH = 16;
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Pending {
  id: string;
  kind: string;
  capability: string;
  req: PoolRequest;
  resolve: (r: PoolReply) => void;
  reject: (e: Error) => void;
  startedAt: number;
  /** Absolute deadline (epoch ms) from `timeoutMs`/`deadline`, fixed once at admission. */
  deadline: number | undefined;
  settled: boolean;
  /** Set once the caller has been answered but the worker still owes a reply. */
  abandoned: boolean;
  worker: WorkerHandle | undefined;
  files: string[];
  timer: NodeJS.Timeout | undefined;
  onAbort: (() => void) | undefined;
}

interface WorkerHandle {
  id: string;
  /** ZeroMQ routing id: a remote worker's id; for a local one `<id>-<random>`, new at every spawn, so no peer can claim it first. */
  rid: string;
  local: boolean;
  spec: LocalWorkerSpec | undefined;
  proc: WorkerProcess | undefined;
  state: WorkerState;
  hello: Hello | undefined;
  heartbeatMs: number;
  lastSeen: number;
  readyAt: number;
  inflight: Map<string, Pending>;
  restarts: number;
  failures: number;
  restartTimer: NodeJS.Timeout | undefined;
  /** When a remote worker went lost (performance.now()). */
  lostAt: number;
  onHello: ((h: Hello) => void) | undefined;
  /** WorkerDead received before Hello: the worker's own account of why it could not start. */
  onStartDead: ((cause: string) => void) | undefined;
  onHelloError: ((e: Error) => void) | undefined;
}

export class WorkerPool extends EventEmitter {
  readonly metrics: PoolMetrics;
  readonly log: Logger;
  /** The endpoints actually bound (a tcp port of `*` or 0 is resolved). */
  readonly endpoints: { ipc: string; tcp: string | undefined } = { ipc: "", tcp: undefined };

  private readonly opts: PoolOptions;
  private readonly router: Router;
  private readonly zapDomain = `condense-${randomBytes(8).toString("hex")}`;
  private readonly workersById = new Map<string, WorkerHandle>();
  private readonly byRoute = new Map<string, WorkerHandle>();
  private readonly queue: Pending[] = [];
  private readonly python: string;
  private readonly command: WorkerCommand;
  private readonly restartPolicy: RestartPolicy;
  private readonly maxQueue: number;
  private readonly defaultHeartbeatMs: number;
  private sendChain: Promise<void> = Promise.resolve();
  private seq = 0;
  private closed = false;
  private livenessTimer: NodeJS.Timeout | undefined;
  private readonly shmRoot: string;
  private ownFileDir: string | undefined;
  private sockDir: string | undefined;
  private dir = "";
  private readonly keyDigest: Buffer;
  private readonly key: string;
  private readonly threads: number;
  private refusedLogAt = 0;
  /** Whether libzmq tells us about closed connections; without it a lost worker must say Hello to come back. */
  private notifies = false;
  private refusedSinceLog = 0;

  private constructor(opts: PoolOptions) {
    super();
    this.opts = opts;
    this.log = (opts.logger ?? pino({ level: "info" })).child({ component: "worker-pool" });
    this.metrics = new PoolMetrics(opts.registry);
    this.python = opts.python ?? path.join(REPO_ROOT, ".venv/bin/python");
    this.command = opts.command ?? defaultWorkerCommand;
    this.restartPolicy = { initialDelayMs: 500, maxDelayMs: 15_000, stableAfterMs: 30_000, maxAttempts: 5, ...opts.restart };
    this.maxQueue = opts.maxQueue ?? 64;
    this.defaultHeartbeatMs = opts.heartbeatMs ?? 1_000;
    this.shmRoot = existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir();
    this.key = opts.workerKey ?? process.env[WORKER_KEY_ENV] ?? randomBytes(32).toString("base64url");
    this.keyDigest = keyDigest(this.key);
    // PLAIN with a ZAP handler: every connection must give the key as its password during the
    // handshake, so a peer without it cannot send us one message (see zap.ts).
    // No handover: a peer cannot take over the routing id (and so the work) of a connected worker.
    // ZMTP heartbeats drop connections that are really dead, so a restarted remote worker can rejoin
    // under its id; the timeout is long so a paused (lost) worker keeps its connection and comes back.
    this.router = new Router({
      mandatory: true,
      handover: false,
      sendHighWaterMark: 0,
      receiveHighWaterMark: 0,
      heartbeatInterval: 2_000,
      heartbeatTimeout: 60_000,
      plainServer: true,
      zapDomain: this.zapDomain,
    });
    const local = opts.workers.reduce((n, w) => n + w.count, 0);
    this.threads = opts.threads ?? Math.max(1, Math.floor(os.availableParallelism() / Math.max(1, local)));
    if (opts.endpoint) this.endpoints.ipc = opts.endpoint;
  }

  /** Where tensors sent as files live: `fileDir`, else a private folder (0700, random name) on tmpfs. */
  get fileDir(): string {
    return this.dir;
  }

  /** Binds the socket(s), spawns every local worker and resolves once all of them said Hello. */
  static async start(opts: PoolOptions): Promise<WorkerPool> {
    validateOptions(opts);
    const pool = new WorkerPool(opts);
    try {
      await pool.bind();
      const starts: Promise<void>[] = [];
      let n = 0;
      for (const spec of opts.workers) {
        for (let i = 0; i < spec.count; i++) starts.push(pool.startLocal(pool.newHandle(`w${n++}`, spec)));
      }
      // The first failure ends the start at once; close() below stops the workers still starting.
      await Promise.all(starts);
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  private async bind(): Promise<void> {
    await sweepStale([this.shmRoot, os.tmpdir()]);
    // mkdtemp creates a fresh 0700 folder with an unpredictable name, or fails: never one someone planted.
    if (this.opts.fileDir) {
      this.dir = this.opts.fileDir;
      await mkdir(this.dir, { recursive: true, mode: 0o700 });
    } else {
      this.ownFileDir = await mkdtemp(path.join(this.shmRoot, `condense-${process.pid}-`));
      this.dir = this.ownFileDir;
    }
    registerPool(this, this.opts.handleSignals ?? true);
    if (!this.endpoints.ipc) {
      // Only our user can enter the folder, so only our user can connect to the socket inside it.
      this.sockDir = await mkdtemp(path.join(os.tmpdir(), `condense-${process.pid}-`));
      this.endpoints.ipc = `ipc://${path.join(this.sockDir, "pool.sock")}`;
    }
    try {
      // Tells us when a worker's connection ends (a remote worker then has to say Hello again).
      (this.router as unknown as { setInt32Option(o: number, v: number): void }).setInt32Option(ZMQ_ROUTER_NOTIFY, ZMQ_NOTIFY_DISCONNECT);
      this.notifies = true;
    } catch (e) {
      this.log.warn({ err: (e as Error).message }, "libzmq without ROUTER_NOTIFY: a reconnected remote worker is only re-admitted by its Hello");
    }
    await addZapDomain(this.zapDomain, this.key, (address) => this.refuse({ address }, "handshake without the pool key"));
    await this.router.bind(this.endpoints.ipc);
    if (this.opts.tcpEndpoint) {
      await this.router.bind(this.opts.tcpEndpoint);
      this.endpoints.tcp = this.router.lastEndpoint ?? this.opts.tcpEndpoint;
    }
    void this.receiveLoop();
    const tick = Math.max(50, Math.min(500, Math.floor(this.defaultHeartbeatMs / 2)));
    this.livenessTimer = setInterval(() => this.checkLiveness(), tick);
    this.livenessTimer.unref();
  }

  // ---- public surface ---------------------------------------------------------------------------

  /** Sends one request to the least-loaded live worker offering its capability; resolves with its final reply. */
  request(req: PoolRequest): Promise<PoolReply> {
    return new Promise<PoolReply>((resolve, reject) => {
      const kind = req.body?.case;
      const capability = req.capability ?? kind;
      const id = `${process.pid.toString(36)}-${(++this.seq).toString(36)}`;
      const p: Pending = {
        id,
        kind: String(kind),
        capability: String(capability),
        req,
        resolve,
        reject,
        startedAt: performance.now(),
        deadline: undefined,
        settled: false,
        abandoned: false,
        worker: undefined,
        files: [],
        timer: undefined,
        onAbort: undefined,
      };
      try {
        if (this.closed) throw new PoolClosedError();
        if (typeof kind !== "string" || !req.body?.value || kind === ("cancel" as string)) {
          throw new WorkerError(ErrorCode.INVALID_ARGUMENT, `request body must be {case, value} of a request kind, got case ${String(kind)}`, { requestId: id });
        }
        for (const t of req.tensors ?? []) checkSize(t, t.data.length);
        p.deadline = absoluteDeadline(req, id);
        if (req.signal?.aborted) throw new CancelledError(id, abortReason(req.signal));
        if (p.deadline !== undefined && p.deadline <= Date.now()) throw new DeadlineExceededError(id, p.deadline);
      } catch (e) {
        this.finish(p, e as Error, "rejected");
        return;
      }
      this.armDeadline(p);
      if (req.signal) {
        p.onAbort = () => this.cancel(p, abortReason(req.signal!));
        req.signal.addEventListener("abort", p.onAbort, { once: true });
      }
      this.admit(p);
    });
  }

  /** Streams every reply of a request (TrainProgress ...) and ends after the one marked final; leaving the loop early cancels it. */
  async *stream(req: Omit<PoolRequest, "onProgress">): AsyncGenerator<PoolReply> {
    const buffered: PoolReply[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    let failure: Error | undefined;
    const stop = new AbortController();
    const final = this.request({
      ...req,
      signal: req.signal ? AbortSignal.any([req.signal, stop.signal]) : stop.signal,
      onProgress: (r) => {
        buffered.push(r);
        wake?.();
      },
    }).then(
      (r) => {
        buffered.push(r);
        done = true;
        wake?.();
      },
      (e: Error) => {
        failure = e;
        done = true;
        wake?.();
      },
    );
    try {
      while (true) {
        const next = buffered.shift();
        if (next) {
          yield next;
          continue;
        }
        if (done) break;
        await new Promise<void>((r) => (wake = r));
        wake = undefined;
      }
    } finally {
      if (!done) stop.abort(new Error("the stream's consumer stopped reading"));
    }
    await final;
    if (failure) throw failure;
  }

  workers(): WorkerInfo[] {
    return [...this.workersById.values()].map((w) => ({
      id: w.id,
      local: w.local,
      state: w.state,
      pid: w.proc?.pid ?? w.hello?.pid,
      inflight: w.inflight.size,
      maxInflight: maxInflight(w),
      restarts: w.restarts,
      hello: w.hello,
    }));
  }

  /** Test hook for protocol tests: sends frames as they are (no validation) to one worker. */
  async sendRaw(workerId: string, frames: Buffer[]): Promise<void> {
    await this.send(this.workersById.get(workerId)?.rid ?? workerId, frames);
  }

  /** Stops accepting work, fails what is pending, shuts local workers down and leaves no process behind. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.livenessTimer) clearInterval(this.livenessTimer);
    for (const p of this.queue.splice(0)) this.finish(p, new PoolClosedError(), "closed");
    this.metrics.queueDepth.set(0);
    const exits: Promise<unknown>[] = [];
    for (const w of this.workersById.values()) {
      if (w.restartTimer) clearTimeout(w.restartTimer);
      for (const p of w.inflight.values()) this.finish(p, new PoolClosedError(), "closed");
      w.inflight.clear();
      w.onHelloError?.(new PoolClosedError());
      w.onStartDead = undefined;
      if (w.local && w.proc && !w.proc.exit) {
        const proc = w.proc;
        if (w.state === "ready") await this.sendShutdown(w.rid);
        proc.closeStdin();
        const timer = setTimeout(() => proc.killGroup("SIGKILL"), SHUTDOWN_GRACE_MS);
        exits.push(proc.exited.finally(() => clearTimeout(timer)));
      }
      w.state = "stopped";
    }
    await Promise.all(exits);
    // The group may still hold grandchildren of a worker that exited on its own.
    for (const w of this.workersById.values()) w.proc?.killGroup("SIGKILL", true);
    this.metrics.liveWorkers.set(0);
    this.router.close();
    removeZapDomain(this.zapDomain);
    unregisterPool(this);
    if (this.endpoints.ipc.startsWith("ipc://")) await unlink(this.endpoints.ipc.slice("ipc://".length)).catch(() => undefined);
    if (this.sockDir) await rm(this.sockDir, { recursive: true, force: true });
    if (this.ownFileDir) await rm(this.ownFileDir, { recursive: true, force: true });
  }

  /** Synchronous last resort for process exit/signals: SIGKILL every local worker's process group, remove our folders. */
  killAllSync(): void {
    for (const w of this.workersById.values()) w.proc?.killGroup("SIGKILL");
    // Our folders go with us (after a SIGKILL of this process the next pool's sweep removes them).
    for (const d of [this.sockDir, this.ownFileDir]) if (d) rmSync(d, { recursive: true, force: true });
  }

  // ---- admission and routing --------------------------------------------------------------------

  private admit(p: Pending): void {
    const w = this.pickWorker(p.capability);
    if (w) {
      void this.dispatch(p, w);
      return;
    }
    if (!this.couldServe(p.capability)) {
      this.metrics.rejected.inc({ reason: "no_worker" });
      this.finish(p, new NoWorkerError(p.capability), "no_worker");
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      this.metrics.rejected.inc({ reason: "overloaded" });
      this.finish(p, new OverloadedError(this.queue.length, this.maxQueue), "overloaded");
      return;
    }
    this.queue.push(p);
    this.metrics.queueDepth.set(this.queue.length);
  }

  private pickWorker(capability: string): WorkerHandle | undefined {
    let best: WorkerHandle | undefined;
    for (const w of this.workersById.values()) {
      if (w.state !== "ready" || !hasCapability(w, capability) || w.inflight.size >= maxInflight(w)) continue;
      if (!best || w.inflight.size < best.inflight.size) best = w;
    }
    return best;
  }

  /** A live worker with the capability, or a local one that is (re)starting and may have it. */
  private couldServe(capability: string): boolean {
    for (const w of this.workersById.values()) {
      if (w.state === "ready" && hasCapability(w, capability)) return true;
      if (w.local && (w.state === "starting" || w.state === "restarting" || w.state === "dead") && (!w.hello || hasCapability(w, capability))) return true;
    }
    return false;
  }

  private pump(): void {
    for (let i = 0; i < this.queue.length; ) {
      const p = this.queue[i]!;
      const w = this.pickWorker(p.capability);
      if (!w) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      void this.dispatch(p, w);
    }
    this.metrics.queueDepth.set(this.queue.length);
  }

  private async dispatch(p: Pending, w: WorkerHandle): Promise<void> {
    p.worker = w;
    w.inflight.set(p.id, p);
    this.metrics.inflight.set({ worker: w.id }, w.inflight.size);
    let frames: Buffer[];
    try {
      const enc = await encodeToWorker({
        requestId: p.id,
        deadlineUnixMs: p.deadline ?? 0,
        body: p.req.body,
        tensors: p.req.tensors ?? [],
        // A remote worker shares no filesystem with us: files only go to local workers.
        transport: w.local ? (p.req.transport ?? "frames") : "frames",
        fileDir: this.fileDir,
      });
      p.files = enc.files;
      frames = enc.frames;
    } catch (e) {
      const err = e instanceof WorkerError ? e : new MalformedError(`request could not be encoded: ${(e as Error).message}`, { requestId: p.id });
      this.finish(p, err, "rejected");
      this.release(w, p.id);
      return;
    }
    if (p.settled) {
      // Cancelled or expired while its files were written: nothing was sent, so free the slot now.
      for (const f of p.files) unlink(f).catch(() => undefined);
      this.release(w, p.id);
      return;
    }
    try {
      await this.send(w.rid, frames);
    } catch (e) {
      // With ROUTER_MANDATORY an unknown peer (disconnected worker) is a send error, not a silent drop.
      this.finish(p, new WorkerDeadError(w.id, `send failed: ${(e as Error).message}`, p.id), "send_failed");
      this.release(w, p.id);
    }
  }

  /** setTimeout holds at most 2^31-1 ms (a longer delay fires at once), so a far deadline is re-armed in steps. */
  private armDeadline(p: Pending): void {
    if (p.deadline === undefined || p.settled) return;
    const left = p.deadline - Date.now();
    if (left > MAX_TIMER_MS) p.timer = setTimeout(() => this.armDeadline(p), MAX_TIMER_MS);
    else p.timer = setTimeout(() => this.expire(p), Math.max(0, left));
  }

  private expire(p: Pending): void {
    if (p.settled) return;
    this.abandon(p, new DeadlineExceededError(p.id, p.deadline, p.worker?.id), "deadline");
  }

  private cancel(p: Pending, reason: string): void {
    if (p.settled) return;
    this.abandon(p, new CancelledError(p.id, reason, p.worker?.id), "cancelled");
  }

  /** Answers the caller now; a dispatched request also gets CancelRequest and keeps its slot until the worker answers. */
  private abandon(p: Pending, err: WorkerError, outcome: string): void {
    const qi = this.queue.indexOf(p);
    if (qi >= 0) {
      this.queue.splice(qi, 1);
      this.metrics.queueDepth.set(this.queue.length);
    }
    const w = p.worker;
    this.finish(p, err, outcome);
    if (w && w.inflight.has(p.id)) {
      p.abandoned = true;
      this.sendCancel(w.rid, p.id);
      const t = setTimeout(() => this.release(w, p.id), ABANDON_GRACE_MS);
      t.unref();
    }
  }

  private release(w: WorkerHandle, id: string): void {
    if (!w.inflight.delete(id)) return;
    this.metrics.inflight.set({ worker: w.id }, w.inflight.size);
    this.pump();
  }

  private finish(p: Pending, result: PoolReply | Error, outcome: string): void {
    if (p.settled) return;
    p.settled = true;
    if (p.timer) clearTimeout(p.timer);
    if (p.onAbort) p.req.signal?.removeEventListener("abort", p.onAbort);
    for (const f of p.files) unlink(f).catch(() => undefined);
    this.metrics.requestDuration.observe({ kind: p.kind, outcome }, (performance.now() - p.startedAt) / 1000);
    if (result instanceof Error) p.reject(result);
    else p.resolve(result);
  }

  // ---- socket -----------------------------------------------------------------------------------

  /** zeromq.js allows one send at a time per socket, so sends are chained. */
  private send(workerId: string, frames: Buffer[]): Promise<void> {
    const next = this.sendChain.then(() => this.router.send([workerId, ...frames]));
    this.sendChain = next.catch(() => undefined);
    return next;
  }

  private sendCancel(workerId: string, requestId: string): void {
    const cancel = create(ToWorkerSchema, {
      protocolVersion: ProtocolVersion.CURRENT,
      requestId: `${requestId}.cancel`,
      body: { case: "cancel", value: { targetRequestId: requestId } },
    });
    this.send(workerId, [Buffer.from(toBinary(ToWorkerSchema, cancel))]).catch(() => undefined);
  }

  private async sendShutdown(workerId: string): Promise<void> {
    const msg = create(ToWorkerSchema, {
      protocolVersion: ProtocolVersion.CURRENT,
      requestId: "shutdown",
      body: { case: "shutdown", value: { reason: "pool closing" } },
    });
    await this.send(workerId, [Buffer.from(toBinary(ToWorkerSchema, msg))]).catch(() => undefined);
  }

  private async receiveLoop(): Promise<void> {
    try {
      for await (const [idFrame, ...frames] of this.router) {
        if (!idFrame) continue;
        this.onMessage(idFrame.toString("utf8"), frames).catch((e: unknown) =>
          this.log.error({ err: e }, "failed to handle a worker message"),
        );
      }
    } catch (e) {
      if (!this.closed) this.log.error({ err: e }, "worker socket receive loop ended");
    }
  }

  private async onMessage(routingId: string, frames: Buffer[]): Promise<void> {
    if (frames.length === 1 && frames[0]!.length === 0) return this.onDisconnect(routingId);
    let header: FromWorker;
    try {
      header = decodeHeader(frames[0]);
    } catch (e) {
      this.log.warn({ worker: routingId, err: (e as Error).message }, "dropping undecodable message from worker");
      this.emit("malformed", { workerId: routingId, error: e });
      return;
    }
    const body = header.body;
    if (body.case === "hello") return this.onHello(routingId, body.value);
    const w = this.byRoute.get(routingId);
    if (w && body.case === "dead" && w.onStartDead) {
      // The worker failed while starting and says why: a local worker we spawned, on its own connection.
      w.onStartDead(body.value.cause);
      return;
    }
    // Safe only while we hear of closed connections: then this is the connection that said Hello.
    if (w && w.state === "lost" && this.notifies) this.readmit(w);
    if (!w || w.state !== "ready") {
      if (this.closed) return;
      this.log.debug({ worker: routingId, kind: body.case }, "message from a worker that has not said Hello");
      return;
    }
    w.lastSeen = performance.now();
    if (body.case === "heartbeat") return;
    if (body.case === "dead") {
      const lastTrace = body.value.traceback.trim().split("\n").pop();
      this.markDead(w, `worker reported: ${body.value.cause}${lastTrace ? ` (${lastTrace})` : ""}`);
      return;
    }
    const p = header.requestId ? w.inflight.get(header.requestId) : undefined;
    if (!p) {
      if (body.case === "error") {
        this.log.warn({ worker: w.id, request: header.requestId, code: body.value.code }, `worker error for no pending request: ${body.value.message}`);
      }
      this.emit("unmatched-reply", { workerId: w.id, header });
      // A late reply (after cancel/deadline) may carry files nobody will read: decode to take ownership and drop them.
      if (header.tensors.some((t) => t.location.case === "file")) {
        await decodeTensors(header, frames.slice(1), { fileDirs: [this.fileDir] }).catch(() => undefined);
      }
      return;
    }
    const streamed = body.case === "trainProgress" && !body.value.final;
    if (!streamed) this.release(w, p.id);
    if (p.abandoned || p.settled) return;
    if (body.case === "error") {
      this.finish(p, fromWireError(body.value, p.id, w.id), "worker_error");
      return;
    }
    let reply: PoolReply;
    try {
      reply = { header, tensors: await decodeTensors(header, frames.slice(1), { fileDirs: [this.fileDir] }), workerId: w.id };
    } catch (e) {
      const err = e instanceof MalformedError ? e : new MalformedError((e as Error).message);
      this.finish(p, new MalformedError(`reply from worker ${w.id} to ${p.id}: ${err.message}`, { requestId: p.id, workerId: w.id }), "malformed");
      return;
    }
    if (streamed) {
      try {
        p.req.onProgress?.(reply);
      } catch (e) {
        this.log.warn({ err: e, request: p.id }, "onProgress callback threw");
      }
      return;
    }
    this.finish(p, reply, "ok");
  }

  private onHello(routingId: string, hello: Hello): void {
    let w = this.byRoute.get(routingId);
    const key = hello.poolKey;
    hello.poolKey = "";
    if (!timingSafeEqual(keyDigest(key), this.keyDigest)) {
      // Nothing is kept for the peer: it gets no handle, no work and no answer.
      this.refuse({ workerId: routingId }, key ? "wrong key in Hello" : "no key in Hello");
      return;
    }
    if (hello.protocolVersion !== ProtocolVersion.CURRENT) {
      const err = new ProtocolMismatchError(routingId, hello.protocolVersion, ProtocolVersion.CURRENT);
      this.log.error({ worker: routingId, got: hello.protocolVersion }, err.message);
      if (w?.onHelloError) w.onHelloError(err);
      else this.emit("refused", { workerId: routingId, error: err });
      return;
    }
    if (hello.workerId && hello.workerId !== routingId) {
      this.log.warn({ worker: routingId, helloId: hello.workerId }, "Hello names another worker id than its routing id");
    }
    if (!w) {
      if (this.workersById.has(routingId)) {
        this.refuse({ workerId: routingId }, "worker id already taken");
        return;
      }
      w = this.newHandle(routingId, undefined);
    } else if (w.local && !w.onHello) {
      // A local worker's id is ours to give: only the process we started may use it (it says Hello
      // again after a reconnect); anything else under that id is refused.
      if (w.state !== "ready" || hello.pid !== w.proc?.pid) {
        this.refuse({ workerId: routingId }, "local worker id used by another process");
        return;
      }
    } else if (w.state === "ready" || w.state === "lost") {
      // Same id said Hello again: a remote worker restarted; whatever it was doing is lost.
      this.failInflight(w, "reconnected with a new Hello");
    }
    w.hello = hello;
    w.heartbeatMs = hello.heartbeatMs || this.defaultHeartbeatMs;
    w.lastSeen = performance.now();
    w.readyAt = performance.now();
    w.state = "ready";
    this.updateLive();
    this.log.info(
      { worker: w.id, pid: hello.pid, model: hello.model, device: hello.device, local: w.local, capabilities: hello.capabilities },
      "worker ready",
    );
    w.onHello?.(hello);
    this.emit("worker-ready", w.id);
    this.pump();
  }

  // ---- supervision ------------------------------------------------------------------------------

  private newHandle(id: string, spec: LocalWorkerSpec | undefined): WorkerHandle {
    const w: WorkerHandle = {
      id,
      rid: id,
      local: spec !== undefined,
      spec,
      proc: undefined,
      state: "starting",
      hello: undefined,
      heartbeatMs: this.defaultHeartbeatMs,
      lastSeen: performance.now(),
      readyAt: 0,
      inflight: new Map(),
      restarts: 0,
      failures: 0,
      restartTimer: undefined,
      lostAt: 0,
      onHello: undefined,
      onHelloError: undefined,
      onStartDead: undefined,
    };
    this.workersById.set(id, w);
    this.byRoute.set(w.rid, w);
    return w;
  }

  /** Spawns a local worker and waits for its Hello, racing its exit and the ready deadline. */
  private async startLocal(w: WorkerHandle): Promise<void> {
    const spec = w.spec!;
    w.state = "starting";
    w.hello = undefined;
    this.byRoute.delete(w.rid);
    w.rid = `${w.id}-${randomBytes(6).toString("hex")}`;
    this.byRoute.set(w.rid, w);
    let proc: WorkerProcess;
    try {
      proc = spawnWorker({
        id: w.id,
        routingId: w.rid,
        endpoint: this.endpoints.ipc,
        spec,
        python: this.python,
        command: this.command,
        logger: this.log,
        heartbeatMs: this.opts.heartbeatMs,
        threads: this.threads,
        env: workerEnv(process.env, { ...this.opts.env, [WORKER_KEY_ENV]: this.key }),
      });
    } catch (e) {
      throw new WorkerStartError(w.id, "spawn", (e as Error).message);
    }
    w.proc = proc;
    const readyTimeoutMs = this.opts.readyTimeoutMs ?? 120_000;
    let timer: NodeJS.Timeout | undefined;
    let deadTimer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        let reported: string | undefined;
        const failed = (x: { exitCode?: number | undefined; signal?: string | undefined }) =>
          reported !== undefined
            ? new WorkerStartError(w.id, "startup", reported, { ...x, stderrTail: proc.stderrTail(), reportedCause: reported })
            : new WorkerStartError(w.id, "spawn", "exited before saying Hello", { ...x, stderrTail: proc.stderrTail() });
        w.onHello = () => resolve();
        w.onHelloError = reject;
        w.onStartDead = (cause) => {
          reported = cause || "the worker reported a start-up failure without a cause";
          // Its exit follows: wait briefly for the exit code, but not for a worker that hangs on.
          deadTimer = setTimeout(() => reject(failed({})), DEAD_EXIT_WAIT_MS);
        };
        timer = setTimeout(
          () => reject(new WorkerStartError(w.id, "handshake", `no Hello within ${readyTimeoutMs} ms`, { stderrTail: proc.stderrTail() })),
          readyTimeoutMs,
        );
        proc.exited.then((x) =>
          // Give the readline of stderr a moment to deliver the last lines before quoting them.
          setTimeout(() => reject(failed(x)), 50),
        );
      });
    } catch (e) {
      proc.killGroup("SIGKILL");
      w.state = "dead";
      throw e;
    } finally {
      clearTimeout(timer);
      clearTimeout(deadTimer);
      w.onHello = undefined;
      w.onHelloError = undefined;
      w.onStartDead = undefined;
    }
    // From now on an exit is a death to supervise.
    void proc.exited.then((x) => {
      // A short grace lets a WorkerDead sent just before exiting arrive first: its cause is the better error.
      setTimeout(() => {
        if (w.proc !== proc || this.closed || w.state !== "ready") return;
        const how = x.signal ? `killed by ${x.signal}` : `exit code ${x.exitCode}`;
        const tail = proc.stderrTail().slice(-5).join(" | ");
        this.markDead(w, `process exited (${how})${tail ? `; stderr: ${tail}` : ""}`, x.signal !== undefined);
      }, EXIT_GRACE_MS);
    });
  }

  private checkLiveness(): void {
    const now = performance.now();
    for (const w of this.workersById.values()) {
      if (w.state === "ready" && now - w.lastSeen > MISSED_HEARTBEATS * w.heartbeatMs) {
        this.markDead(w, `missed ${MISSED_HEARTBEATS} heartbeats (${Math.round(now - w.lastSeen)} ms silent)`);
      } else if (w.state === "lost" && now - w.lostAt > LOST_FORGET_MS) {
        this.log.warn({ worker: w.id }, "forgetting a remote worker lost for too long");
        this.forget(w);
      }
    }
  }

  /** A lost remote worker spoke again on the connection it said Hello on: it serves again. */
  private readmit(w: WorkerHandle): void {
    w.state = "ready";
    w.lastSeen = performance.now();
    w.readyAt = performance.now();
    this.updateLive();
    this.log.info({ worker: w.id, lostMs: Math.round(performance.now() - w.lostAt) }, "lost worker is back");
    this.emit("worker-ready", w.id);
    this.pump();
  }

  /** The connection of a peer ended (ROUTER_NOTIFY). A remote worker must say Hello again; local exits are watched. */
  private forget(w: WorkerHandle): void {
    this.workersById.delete(w.id);
    this.byRoute.delete(w.rid);
  }

  private onDisconnect(routingId: string): void {
    const w = this.byRoute.get(routingId);
    if (!w || w.local || this.closed) return;
    const wasReady = w.state === "ready";
    if (wasReady) {
      w.state = "dead";
      this.log.error({ worker: w.id, local: false }, "worker dead: its connection closed");
      this.emit("worker-dead", { workerId: w.id, cause: "connection closed" });
    }
    this.failInflight(w, "connection closed");
    this.forget(w);
    this.updateLive();
    this.failUnservable();
  }

  /** A connection or Hello without the pool's key; logged at most every 10 s so a flood cannot fill the log. */
  private refuse(peer: { workerId?: string; address?: string }, why: string): void {
    this.refusedSinceLog++;
    const now = performance.now();
    if (now - this.refusedLogAt > 10_000) {
      this.log.warn(
        { peer: peer.workerId?.slice(0, 64), address: peer.address, why, refused: this.refusedSinceLog },
        "refused a worker without the pool's key",
      );
      this.refusedLogAt = now;
      this.refusedSinceLog = 0;
    }
    this.emit("refused", { ...peer, error: new WorkerError(ErrorCode.INVALID_ARGUMENT, `refused: ${why}`) });
  }

  private failInflight(w: WorkerHandle, cause: string): void {
    const pending = [...w.inflight.values()];
    w.inflight.clear();
    this.metrics.inflight.set({ worker: w.id }, 0);
    for (const p of pending) this.finish(p, new WorkerDeadError(w.id, cause, p.id), "worker_dead");
  }

  /** `killed`: ended by a signal from outside (kill -9, the OOM killer), not by its own failure. */
  private markDead(w: WorkerHandle, cause: string, killed = false): void {
    if (w.state !== "ready" || this.closed) return;
    w.state = "dead";
    this.log.error({ worker: w.id, local: w.local }, `worker dead: ${cause}`);
    if (!w.local) {
      // Still connected (else onDisconnect), maybe paused or cut off for a while: keep it and tell it
      // to drop the work we now fail, so it comes back idle when it speaks again.
      for (const id of w.inflight.keys()) this.sendCancel(w.rid, id);
      w.state = "lost";
      w.lostAt = performance.now();
    }
    this.failInflight(w, cause);
    this.updateLive();
    this.emit("worker-dead", { workerId: w.id, cause });
    if (!w.local) {
      this.failUnservable();
      return;
    }
    // Also after the worker's own exit: what it started may still run in its group.
    w.proc?.killGroup("SIGKILL", true);
    // The backoff is for workers that keep failing, not for healthy ones killed from outside.
    if (killed || performance.now() - w.readyAt > this.restartPolicy.stableAfterMs) w.failures = 0;
    this.scheduleRestart(w);
  }

  private scheduleRestart(w: WorkerHandle): void {
    const delay = Math.min(this.restartPolicy.maxDelayMs, this.restartPolicy.initialDelayMs * 2 ** w.failures);
    w.failures++;
    w.state = "restarting";
    this.log.info({ worker: w.id, delayMs: delay }, "restarting worker");
    w.restartTimer = setTimeout(() => {
      w.restartTimer = undefined;
      if (this.closed) return;
      w.restarts++;
      this.metrics.restarts.inc({ worker: w.id });
      this.emit("worker-restart", w.id);
      this.startLocal(w).then(
        () => undefined,
        (e: Error) => {
          if (this.closed) return;
          this.log.error({ worker: w.id, err: e.message, attempt: w.failures }, "worker restart failed");
          if (w.failures >= this.restartPolicy.maxAttempts) this.giveUp(w, e);
          else this.scheduleRestart(w);
        },
      );
    }, delay);
  }

  /** A local worker that failed `restart.maxAttempts` starts in a row stays down; what waited for it fails now. */
  private giveUp(w: WorkerHandle, last: Error): void {
    w.state = "failed";
    this.log.error({ worker: w.id, attempts: w.failures, err: last.message }, "giving up on worker: it failed to start too many times");
    this.emit("worker-failed", { workerId: w.id, error: last });
    this.failUnservable(last);
  }

  /** After a worker leaves for good, queued requests nobody can serve fail instead of waiting for their deadline. */
  private failUnservable(why?: Error): void {
    for (const p of [...this.queue]) {
      if (this.couldServe(p.capability)) continue;
      this.queue.splice(this.queue.indexOf(p), 1);
      this.finish(p, why ?? new NoWorkerError(p.capability), "no_worker");
    }
    this.metrics.queueDepth.set(this.queue.length);
  }

  private updateLive(): void {
    let n = 0;
    for (const w of this.workersById.values()) if (w.state === "ready") n++;
    this.metrics.liveWorkers.set(n);
  }
}

// Folders from mkdtemp (6 random characters), and the socket/folder names of older versions.
const OWN_NAME = /^condense-(\d+)-(?:[A-Za-z0-9]{6}|[0-9a-f]{8}(\.sock)?)$/;

/** Removes sockets and file folders that pools of dead processes (e.g. SIGKILLed ones) left behind. */
async function sweepStale(dirs: string[]): Promise<void> {
  for (const dir of new Set(dirs)) {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const m = OWN_NAME.exec(name);
      if (!m || pidAlive(Number(m[1]))) continue;
      await rm(path.join(dir, name), { recursive: true, force: true }).catch(() => undefined);
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function hasCapability(w: WorkerHandle, capability: string): boolean {
  return w.hello?.capabilities.includes(capability) ?? false;
}

function maxInflight(w: WorkerHandle): number {
  return Math.max(1, w.hello?.maxInflight ?? 1);
}

/** The one conversion of a request's `timeoutMs` (relative) and `deadline` (absolute epoch ms): the earlier wins. */
function absoluteDeadline(req: PoolRequest, requestId: string): number | undefined {
  const bad = (msg: string): never => {
    throw new WorkerError(ErrorCode.INVALID_ARGUMENT, msg, { requestId });
  };
  let at: number | undefined;
  if (req.timeoutMs !== undefined) {
    if (typeof req.timeoutMs !== "number" || !Number.isFinite(req.timeoutMs) || req.timeoutMs <= 0) bad(`timeoutMs must be a positive number, got ${req.timeoutMs}`);
    at = Date.now() + req.timeoutMs;
  }
  if (req.deadline !== undefined) {
    if (typeof req.deadline !== "number" || !Number.isFinite(req.deadline) || req.deadline <= 0) bad(`deadline must be a positive epoch-ms number, got ${req.deadline}`);
    at = at === undefined ? req.deadline : Math.min(at, req.deadline);
  }
  return at;
}

function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r.message;
  return r === undefined ? "aborted by caller" : String(r);
}

function validateOptions(o: PoolOptions): void {
  const bad = (msg: string): never => {
    throw new WorkerError(ErrorCode.INVALID_ARGUMENT, `invalid worker pool option: ${msg}`);
  };
  if (!Array.isArray(o.workers)) bad("workers must be an array");
  for (const [i, w] of o.workers.entries()) {
    if (!w.model) bad(`workers[${i}].model is empty`);
    if (!w.device) bad(`workers[${i}].device is empty`);
    if (!Number.isInteger(w.count) || w.count < 0) bad(`workers[${i}].count must be a non-negative integer`);
    if (w.dtype !== undefined && !(w.dtype in WORKER_DTYPE_FLAG)) bad(`workers[${i}].dtype must be f32, bf16 or f16`);
  }
  if (o.endpoint !== undefined && !o.endpoint.startsWith("ipc://") && !o.endpoint.startsWith("tcp://")) bad(`endpoint ${o.endpoint} is not ipc:// or tcp://`);
  if (o.tcpEndpoint !== undefined && !o.tcpEndpoint.startsWith("tcp://")) bad(`tcpEndpoint ${o.tcpEndpoint} is not tcp://`);
  for (const k of ["readyTimeoutMs", "heartbeatMs"] as const) {
    const v = o[k];
    if (v !== undefined && (!Number.isFinite(v) || v <= 0)) bad(`${k} must be a positive number`);
  }
  if (o.maxQueue !== undefined && (!Number.isInteger(o.maxQueue) || o.maxQueue < 0)) bad("maxQueue must be a non-negative integer");
  if (o.threads !== undefined && (!Number.isInteger(o.threads) || o.threads < 1)) bad("threads must be a positive integer");
  const ma = o.restart?.maxAttempts;
  if (ma !== undefined && (!Number.isInteger(ma) || ma < 1)) bad("restart.maxAttempts must be a positive integer");
  const key = o.workerKey ?? process.env[WORKER_KEY_ENV];
  if (key !== undefined && key.length < MIN_KEY_LENGTH) bad(`workerKey (or ${WORKER_KEY_ENV}) must have at least ${MIN_KEY_LENGTH} characters`);
  if (o.tcpEndpoint !== undefined && key === undefined) bad(`tcpEndpoint needs workerKey or ${WORKER_KEY_ENV}: remote workers must present it`);
}
