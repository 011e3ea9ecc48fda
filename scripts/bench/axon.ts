// Axon benchmark: signed TextCompressProtocol requests per second and p50/p99 latency against our axon and the
// Python SDK's axon (bittensor 10.5.0 in .venv-bt), same trivial handler, same raw signed-HTTP load generator (this
// process, requests signed before the clock starts) and the same concurrency, one after the other in one run.
// Each axon runs in its own process.
// Targets (issue 4): >= 5x Python's throughput, <= 1/3 of Python's p99.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import http from "node:http";
import { randomUUID } from "node:crypto";
import { NonceClock } from "../../ts/dendrite/index.js";
import { cryptoReady, requestMessage, stringifyJson, synapseHeaders, TextCompressProtocol, WIRE_VERSION } from "../../ts/bittensor/index.js";
import { Keypair, Wallet } from "../../ts/wallet/index.js";
import { report, target } from "./lib/report.js";
import { freePort } from "../../ts/util/free-port.js";

const quick = process.argv.includes("--quick");
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const CONCURRENCY = 16;
// Requests per worker and round: fixed counts (not durations) so each round's work is pre-signed. Python's
// count is smaller because it is ~10x slower; rates are per second either way.
const ROUNDS = quick ? 3 : 5;
const PER_WORKER_OURS = quick ? 200 : 500;
const PER_WORKER_PYTHON = quick ? 30 : 60;
const CONTEXT = "The quick brown fox jumps over the lazy dog. ".repeat(40); // ~1.8 KB, a small real request

interface Run {
  case: string;
  concurrency: number;
  seconds: number;
  ok: number;
  errors: number;
  rps: number;
  p50_ms: number;
  p99_ms: number;
  statuses: Record<string, number>;
}


function startPeer(cmd: string, args: string[], cwd: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["pipe", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`${path.basename(args[0] ?? cmd)} not ready after 120 s: ${err.slice(-1500)}`)), 120_000);
    child.stdout!.on("data", (d) => {
      out += d;
      if (out.includes("READY")) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr!.on("data", (d) => (err += d));
    child.on("exit", (code) => reject(new Error(`${args[0]} exited ${code}: ${err.slice(-1500)}`)));
  });
}

async function stopPeer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.stdin!.end();
  await new Promise<void>((resolve) => {
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      resolve();
    }, 10_000);
    child.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
  });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Prepared {
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Signs every request before the clock starts, so the measured window holds only HTTP and the axon's work (the
 * load generator shares 2 cores with the axon under test). Worker k owns uuid k and sends its requests in the
 * order they were signed, so nonces arrive strictly increasing per hotkey:uuid, as the axon requires.
 */
function prepare(perWorker: number, axonHotkey: string, port: number): Prepared[][] {
  const alice = Keypair.fromUri("//Alice");
  const lanes: Prepared[][] = [];
  const clock = new NonceClock();
  for (let w = 0; w < CONCURRENCY; w++) {
    const uuid = randomUUID();
    const lane: Prepared[] = [];
    for (let i = 0; i < perWorker; i++) {
      const s = TextCompressProtocol.create({ context: CONTEXT, target_model: "m", timeout: 30 });
      const nonce = clock.next();
      s.dendrite = { ...s.dendrite, ip: "127.0.0.1", version: WIRE_VERSION, nonce, uuid, hotkey: alice.address };
      s.axon = { ...s.axon, ip: "127.0.0.1", port, hotkey: axonHotkey };
      const hash = TextCompressProtocol.bodyHash(s);
      s.dendrite.signature = alice.signHex(requestMessage(nonce, alice.address, axonHotkey, uuid, hash));
      const body = Buffer.from(stringifyJson(TextCompressProtocol.dump(s)));
      lane.push({ headers: { ...synapseHeaders(TextCompressProtocol, s, hash, body.length), "content-type": "application/json", "content-length": String(body.length) }, body });
    }
    lanes.push(lane);
  }
  return lanes;
}

function send(agent: http.Agent, port: number, req: Prepared): Promise<number> {
  return new Promise((resolve) => {
    const r = http.request({ host: "127.0.0.1", port, path: "/TextCompressProtocol", method: "POST", agent, headers: req.headers }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
      res.on("error", () => resolve(-1));
    });
    r.on("error", () => resolve(-1));
    r.setTimeout(30_000, () => r.destroy());
    r.end(req.body);
  });
}

/** Closed loop: CONCURRENCY workers, each sends its next pre-signed request when the last one returned. */
async function runLanes(port: number, lanes: Prepared[][]): Promise<{ lat: number[]; statuses: Record<string, number>; elapsed: number }> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const lat: number[] = [];
  const statuses: Record<string, number> = {};
  const worker = async (lane: Prepared[]) => {
    for (const req of lane) {
      const t0 = performance.now();
      const code = String(await send(agent, port, req));
      const ms = performance.now() - t0;
      statuses[code] = (statuses[code] ?? 0) + 1;
      if (code === "200") lat.push(ms);
    }
  };
  const t0 = performance.now();
  await Promise.all(lanes.map(worker));
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  return { lat, statuses, elapsed };
}

interface Target {
  name: string;
  port: number;
  perWorker: number;
  lat: number[];
  statuses: Record<string, number>;
  seconds: number;
  rounds: number[];
}

/** One measured round against one axon: sign first (outside the window), then fire. */
async function round(t: Target, axonHotkey: string): Promise<void> {
  const lanes = prepare(t.perWorker, axonHotkey, t.port);
  const r = await runLanes(t.port, lanes);
  t.lat.push(...r.lat);
  for (const [k, v] of Object.entries(r.statuses)) t.statuses[k] = (t.statuses[k] ?? 0) + v;
  t.seconds += r.elapsed;
  const rps = (r.statuses["200"] ?? 0) / r.elapsed;
  t.rounds.push(+rps.toFixed(1));
  process.stdout.write(`  ${t.name}: ${rps.toFixed(1)} req/s over ${r.elapsed.toFixed(2)} s\n`);
}

function summary(t: Target): Run {
  const lat = [...t.lat].sort((a, b) => a - b);
  const ok = t.statuses["200"] ?? 0;
  const errors = Object.entries(t.statuses).reduce((n, [k, v]) => n + (k === "200" ? 0 : v), 0);
  return { case: t.name, concurrency: CONCURRENCY, seconds: +t.seconds.toFixed(2), ok, errors, rps: +(ok / t.seconds).toFixed(1), p50_ms: +percentile(lat, 50).toFixed(2), p99_ms: +percentile(lat, 99).toFixed(2), statuses: t.statuses, rounds_rps: t.rounds } as Run;
}

async function main(): Promise<void> {
  await cryptoReady();
  const py = path.join(root, ".venv-bt/bin/python");
  const tsx = path.join(root, "node_modules/.bin/tsx");
  const bob = Keypair.fromUri("//Bob");
  console.log(`axon benchmark (${quick ? "quick" : "full"}): ${CONCURRENCY} concurrent signed TextCompressProtocol calls, ${CONTEXT.length}-char context,`);
  console.log(`raw pre-signed HTTP load generator, ${ROUNDS} alternating rounds per axon`);

  const children: ChildProcess[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), "condense-bench-"));
  let why: string | undefined;
  const ours: Target = { name: "condense axon (TS, fastify)", port: await freePort(), perWorker: PER_WORKER_OURS, lat: [], statuses: {}, seconds: 0, rounds: [] };
  let theirs: Target | null = null;
  try {
    children.push(await startPeer(tsx, [path.join(root, "scripts/bench/axon/ts_axon.ts"), String(ours.port), "//Bob"], root));
    if (!existsSync(py)) {
      why = ".venv-bt missing (scripts/setup.d/20-bittensor-sdk.sh installs bittensor 10.5.0)";
    } else {
      try {
        const w = new Wallet({ name: "bench", hotkey: "axon", path: dir });
        await w.create({ coldkey: true, hotkey: false });
        await w.writeHotkey(bob);
        const port = await freePort();
        children.push(await startPeer(py, ["peer_axon.py", dir, "bench", "axon", String(port)], path.join(root, "test/interop/py")));
        theirs = { name: "bittensor 10.5.0 axon (Python)", port, perWorker: PER_WORKER_PYTHON, lat: [], statuses: {}, seconds: 0, rounds: [] };
      } catch (e) {
        why = `Python axon failed to start: ${(e as Error).message}`;
      }
    }
    // Warm both up (JIT, connection pools), unmeasured.
    for (const t of [ours, theirs]) if (t) await runLanes(t.port, prepare(5, bob.address, t.port));
    // Alternate rounds so load drift on a shared machine hits both sides alike.
    for (let i = 0; i < ROUNDS; i++) {
      await round(ours, bob.address);
      if (theirs) await round(theirs, bob.address);
    }
  } finally {
    for (const c of children) await stopPeer(c);
    rmSync(dir, { recursive: true, force: true });
  }

  const tsRun = summary(ours);
  const pyRun = theirs ? summary(theirs) : null;
  const rpsRatio = pyRun && pyRun.rps > 0 ? +(tsRun.rps / pyRun.rps).toFixed(2) : null;
  const p99Ratio = pyRun && pyRun.p99_ms > 0 ? +(tsRun.p99_ms / pyRun.p99_ms).toFixed(3) : null;
  console.log("");
  console.log("| axon | requests | req/s | p50 ms | p99 ms | errors | req/s per round |");
  console.log("|---|---|---|---|---|---|---|");
  for (const r of [tsRun, pyRun]) if (r) console.log(`| ${r.case} | ${r.ok + r.errors} | ${r.rps} | ${r.p50_ms} | ${r.p99_ms} | ${r.errors} | ${(r as Run & { rounds_rps: number[] }).rounds_rps.join(", ")} |`);
  console.log(`throughput ratio (ours / Python): ${rpsRatio ?? "n/a"}x; p99 ratio (ours / Python): ${p99Ratio ?? "n/a"}`);
  const results = [
    { ...tsRun, baseline: "bittensor 10.5.0 Python axon", baseline_rps: pyRun?.rps ?? null, baseline_p50_ms: pyRun?.p50_ms ?? null, baseline_p99_ms: pyRun?.p99_ms ?? null },
    ...(pyRun ? [pyRun] : []),
  ];
  report("axon", quick, results, [
    target("throughput_ratio_vs_python", rpsRatio, ">=", 5, rpsRatio === null ? why : undefined),
    target("p99_ratio_vs_python", p99Ratio, "<=", 1 / 3, p99Ratio === null ? why : undefined),
  ]);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
