// Validator benchmark, three parts in one run, each beside its baseline (issue 10):
//  (a) challenges verified (container header + signature) and scored per minute: several miners' containers,
//      each answering its own challenge with its own kept length, in one batched evaluateContainers call,
//      against the old validator's way, one container at a time and one Evaluate per question (each call loads
//      the container again: a fresh cache copy per question). Same containers, same prompts; the verdicts of
//      the two must be equal. tiny:llama (quick and full) and SmolLM2 (full). Target >= 3x.
//  (b) downloads of 8 miners' containers from loopback HTTP servers (in a child process) that wait 200 ms
//      before answering: the validator's Limiter + downloadToFile in parallel against one after another.
//      Target >= 4x.
//  (c) the organic API's overhead: p50 of POST /v1/condense (fastify on loopback, real HTTP, key check, rate
//      limit, router, dendrite) minus p50 of a direct dendrite call to the same axon. Target <= 5 ms.
//   npm run bench -- validator [--quick]
import Database from "better-sqlite3";
import Fastify from "fastify";
import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { Agent, request } from "undici";
import { Axon } from "../../ts/axon/index.js";
import { TextCompressProtocol, type TextCompressValues } from "../../ts/bittensor/protocols.js";
import { cryptoReady } from "../../ts/bittensor/signing.js";
import { contextSha256 } from "../../ts/container/hash.js";
import { signContainer } from "../../ts/container/signature.js";
import type { ModelShape } from "../../ts/container/types.js";
import { Dendrite } from "../../ts/dendrite/index.js";
import { challengeSeed, requestChallenge, type Challenge } from "../../ts/validator/challenges/index.js";
import { challengeItem, evaluateContainers, type EvaluatedItem, type EvaluateOptions, type ItemResult } from "../../ts/validator/evaluate/index.js";
import { ApiKeyStore, OrganicRouter, organicPlugin } from "../../ts/validator/organic/index.js";
import { dendriteForward } from "../../ts/validator/organic/forward.js";
import { scoreChallenge } from "../../ts/validator/score/index.js";
import { migrate } from "../../ts/validator/state/index.js";
import { checkContainer, createGuardedAgent, createPrivateDir, DEFAULT_URL_POLICY, downloadToFile, Limiter, removePrivateDir } from "../../ts/validator/verify/index.js";
import { WorkerPool } from "../../ts/workers/index.js";
import { Keypair } from "../../ts/wallet/keypair.js";
import { report, target, type Target } from "./lib/report.js";

const quick = process.argv.includes("--quick");
const MISTRAL = "mistralai/Mistral-7B-Instruct-v0.2";
// The research tier's scoring inputs (config/tiers.json).
const MAX_CONDENSED = 1024;
const ACCELERATE = 0.1;
// Miners' containers: different algorithms and ratios, so kept lengths differ (kvzip_shared scores for ~8 s
// per 1,000 SmolLM2 tokens on one thread: only tiny:llama gets it more than once).
const MINERS_TINY: Array<[string, number]> = [["full", 0], ["knorm", 0.5], ["streaming_llm", 0.7], ["kvzip_shared", 0.5], ["knorm", 0.75], ["streaming_llm", 0.4], ["kvzip_shared", 0.75], ["full", 0]];
const MINERS_SMOL: Array<[string, number]> = [["full", 0], ["knorm", 0.5], ["streaming_llm", 0.7], ["kvzip_shared", 0.5], ["knorm", 0.3], ["streaming_llm", 0.5]];
// tiny:llama's tokenizer is byte-level (one token per character, 8,192 positions; quick mode halves the
// contexts to stay under a minute on loaded cores); SmolLM2 gets the research tier's lower half.
const EVAL_CASES = [
  { model: "tiny:llama", miners: quick ? MINERS_TINY.slice(0, 4) : MINERS_TINY, rounds: quick ? 1 : 2, minChars: quick ? 1000 : 2000, maxChars: quick ? 1500 : 3000 },
  ...(quick ? [] : [{ model: "smollm2", miners: MINERS_SMOL, rounds: 2, minChars: 3000, maxChars: 5000 }]),
];
const QUESTIONS = 3; // the validator's default (--validator.questions)
const EVAL_BATCH = 8; // the validator's default (--validator.eval_batch)
const DL_MINERS = 8;
const DL_LATENCY_MS = 200;
const DL_CASES = [{ mib: 4, rounds: quick ? 2 : 8 }, ...(quick ? [] : [{ mib: 24, rounds: 4 }])];
const ORGANIC_CALLS = quick ? 200 : 2000;
const ORGANIC_WARMUP = quick ? 30 : 200;
const ORGANIC_CONTEXT_CHARS = 8000;

const median = (xs: number[]) => quantile(xs, 0.5);
function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.min(lo + 1, s.length - 1)]! - s[lo]!) * (pos - lo);
}
const r1 = (x: number) => Math.round(x * 10) / 10;
const r2 = (x: number) => Math.round(x * 100) / 100;
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const T0 = performance.now();
const log = (s: string) => process.stdout.write(s.startsWith("[") ? `${s} [t=${r1((performance.now() - T0) / 1000)} s]\n` : s + "\n");
const loads: number[][] = [];
const sampleLoad = () => loads.push(os.loadavg().map(r2));

// ---------------------------------------------------------------- (a) evaluation
interface Made {
  id: string;
  hotkey: string;
  algorithm: string;
  ratio: number;
  ch: Challenge;
  path: string;
  sha: string;
  kept: number;
  original: number;
}
interface Verdict {
  id: string;
  item: Omit<EvaluatedItem, "id" | "ok">;
  score: number;
  accuracy: number;
}

function verdictOf(m: Made, ev: ItemResult, kept: number, original: number): Verdict {
  if (!ev.ok) throw new Error(`container of ${m.id} failed in the worker: ${ev.codeName} ${ev.message}`);
  const { id: _id, ok: _ok, ...item } = ev;
  const positives = m.ch.chunks.flatMap((x, i) => (x.inContext ? [ev.existenceCorrect[i] === true] : []));
  const negatives = m.ch.chunks.flatMap((x, i) => (x.inContext ? [] : [ev.existenceCorrect[i] === true]));
  const s = scoreChallenge({ challengeId: m.id, kind: m.ch.questions[0]!.kind, accelerate: ACCELERATE, fullAccuracy: null, positives, negatives, answers: ev.correct, keptTokens: kept, originalTokens: original, maxCondensedTokens: MAX_CONDENSED });
  return { id: m.id, item, score: s.score, accuracy: s.accuracy };
}

async function verify(m: Made, shape: ModelShape, targetModel: string) {
  const h = await checkContainer(m.path, { targetModel, model: shape, minKeptTokens: 1, maxKeptTokens: 16384, contextSha256: m.sha, minerHotkey: m.hotkey });
  return h.meta;
}

/** The validator's way: every container checked, then all of them in one batched Evaluate, then scored. */
async function batched(pool: WorkerPool, made: Made[], shape: ModelShape, targetModel: string, opts: EvaluateOptions): Promise<Verdict[]> {
  const metas = await Promise.all(made.map((m) => verify(m, shape, targetModel)));
  const res = await evaluateContainers(pool, made.map((m) => challengeItem(m.ch, m.id, { path: m.path })), { ...opts, maxItemsPerRequest: EVAL_BATCH });
  return made.map((m, i) => verdictOf(m, res[i]!, metas[i]!.keptTokens, metas[i]!.originalTokens));
}

/** The old validator's way: one container at a time, one Evaluate per question and per existence chunk. */
async function oneByOne(pool: WorkerPool, made: Made[], shape: ModelShape, targetModel: string, opts: EvaluateOptions): Promise<Verdict[]> {
  const out: Verdict[] = [];
  for (const m of made) {
    const meta = await verify(m, shape, targetModel);
    const acc = { answers: [] as string[], correct: [] as boolean[], existence: [] as boolean[], existenceReplies: [] as string[], existenceCorrect: [] as boolean[], keptTokens: -1, nextPosition: -1 };
    const one = async (q: Partial<Parameters<typeof evaluateContainers>[1][number]>) => {
      const [r] = await evaluateContainers(pool, [{ id: m.id, containerPath: m.path, questions: [], ...q }], opts);
      if (!r!.ok) throw new Error(`container of ${m.id} failed in the worker: ${r!.codeName} ${r!.message}`);
      acc.keptTokens = r!.keptTokens;
      acc.nextPosition = r!.nextPosition;
      return r!;
    };
    for (const q of m.ch.questions) {
      const r = await one({ questions: [q.formattedQuestion], expected: [q.answers] });
      acc.answers.push(...r.answers);
      acc.correct.push(...r.correct);
    }
    for (const c of m.ch.chunks) {
      const r = await one({ existenceChunks: [c.text], existenceLabels: [c.inContext] });
      acc.existence.push(...r.existence);
      acc.existenceReplies.push(...r.existenceReplies);
      acc.existenceCorrect.push(...r.existenceCorrect);
    }
    out.push(verdictOf(m, { id: m.id, ok: true, ...acc }, meta.keptTokens, meta.originalTokens));
  }
  return out;
}

const lengths = (xs: string[]) => ({ min: Math.min(...xs.map((x) => x.length)), median: median(xs.map((x) => x.length)), max: Math.max(...xs.map((x) => x.length)) });
const same = (a: Verdict[], b: Verdict[]) => JSON.stringify(a) === JSON.stringify(b);

async function benchEvaluate(c: (typeof EVAL_CASES)[number], dir: string, results: Record<string, unknown>[], targets: Target[]): Promise<void> {
  log(`[validator] (a) ${c.model}: starting a worker (1 thread)...`);
  const pool = await WorkerPool.start({ workers: [{ model: c.model, device: "cpu", count: 1 }], threads: 1, readyTimeoutMs: 180_000, logger: pino({ level: "error" }) });
  try {
    const hello = pool.workers().find((w) => w.hello)!.hello!;
    const shape: ModelShape = { numLayers: hello.shape!.numLayers, kvHeads: hello.shape!.numKvHeads, headDim: hello.shape!.headDim, hiddenSize: hello.shape!.hiddenSize };
    const secret = new Uint8Array(32).fill(7);
    const made: Made[] = [];
    let targetModel = "";
    const t0 = performance.now();
    for (const [i, [algorithm, ratio]] of c.miners.entries()) {
      const key = Keypair.fromUri(`//BenchValidatorMiner/${i}`);
      const id = `uid${i}`;
      const ch = await requestChallenge(pool, {
        seed: challengeSeed(secret, key.address, `bench-${c.model}`), salt: `${key.address}:bench`, minChars: c.minChars, maxChars: c.maxChars,
        kinds: ["needle_single", "single_fact", "kv_retrieval"], numQuestions: QUESTIONS, targetModel: "", timeoutMs: 120_000,
      });
      const file = path.join(dir, `${c.model.replace(/[^a-z0-9]/gi, "_")}-${i}.safetensors`);
      const r = await pool.request({ body: { case: "compress", value: { context: ch.formattedContext, algorithm, params: { ratio }, outputPath: file, minerHotkey: key.address } }, timeoutMs: 300_000 });
      if (r.header.body.case !== "compress" || !r.header.body.value.info) throw new Error(`no container from ${algorithm}`);
      const header = await signContainer(file, key);
      targetModel = header.meta.targetModel;
      const info = r.header.body.value.info;
      made.push({ id, hotkey: key.address, algorithm, ratio, ch, path: file, sha: contextSha256(ch.formattedContext), kept: info.keptTokens, original: info.originalTokens });
      log(`  miner ${id}: ${algorithm}@${ratio}, ${ch.contextChars} chars, kept ${info.keptTokens}/${info.originalTokens} tokens, ${ch.questions.map((q) => q.kind).join("/")}`);
    }
    log(`  ${made.length} containers made in ${r1((performance.now() - t0) / 1000)} s`);
    const opts: EvaluateOptions = { targetModel, timeoutMs: 600_000 };
    // Warm-up (first decodes pay lazy initialisation): one container, both ways.
    await batched(pool, made.slice(0, 1), shape, targetModel, opts);
    if (!quick) await oneByOne(pool, made.slice(0, 1), shape, targetModel, opts);
    const tb: number[] = [];
    const ts: number[] = [];
    let ref: Verdict[] | null = null;
    let equal = true;
    for (let round = 0; round < c.rounds; round++) {
      // Alternate which goes first so load drift hits both.
      for (const way of round % 2 ? (["single", "batched"] as const) : (["batched", "single"] as const)) {
        sampleLoad();
        const t = performance.now();
        const v = way === "batched" ? await batched(pool, made, shape, targetModel, opts) : await oneByOne(pool, made, shape, targetModel, opts);
        const ms = performance.now() - t;
        (way === "batched" ? tb : ts).push(ms);
        if (!ref) ref = v;
        else if (!same(ref, v)) equal = false;
        log(`  round ${round} ${way.padEnd(7)}: ${made.length} challenges in ${r1(ms / 1000)} s (${r1((made.length / ms) * 60_000)}/min)`);
      }
    }
    const rows = made.length * (QUESTIONS + 4);
    const perMinB = (made.length / median(tb)) * 60_000;
    const perMinS = (made.length / median(ts)) * 60_000;
    const ratio = perMinB / perMinS;
    results.push({
      case: `evaluate ${c.model}`,
      part: "a",
      model: c.model,
      miners: made.length,
      containers: made.map((m) => ({ id: m.id, algorithm: m.algorithm, ratio: m.ratio, kept_tokens: m.kept, original_tokens: m.original })),
      questions_per_challenge: QUESTIONS,
      existence_chunks_per_challenge: 4,
      decode_rows_per_round: rows,
      rounds: c.rounds,
      challenges_per_min: r1(perMinB),
      batched_s: r2(median(tb) / 1000),
      batched_s_rounds: tb.map((x) => r2(x / 1000)),
      baseline: "one container at a time, one Evaluate per question and per existence chunk (container reloaded each time)",
      baseline_challenges_per_min: r1(perMinS),
      baseline_s: r2(median(ts) / 1000),
      baseline_s_rounds: ts.map((x) => r2(x / 1000)),
      baseline_evaluate_calls_per_round: rows,
      ratio: r2(ratio),
      verdicts_equal: equal,
      scores: ref!.map((v) => r3(v.score)),
      correct_answers: ref!.reduce((n, v) => n + v.item.correct.filter(Boolean).length, 0),
      // A batched decode runs until its longest row ends: answer lengths that differ cost the batch.
      answer_chars: lengths(ref!.flatMap((v) => v.item.answers)),
      existence_reply_chars: lengths(ref!.flatMap((v) => v.item.existenceReplies)),
    });
    targets.push(
      equal
        ? target(`challenges_per_min_batched_vs_one_by_one_${c.model}`, r2(ratio), ">=", 3)
        : target(`challenges_per_min_batched_vs_one_by_one_${c.model}`, r2(ratio), ">=", 3, "the batched and one-by-one verdicts differ: the ratio does not count"),
    );
    if (!equal) targets[targets.length - 1]!.met = false;
    log(`  ${c.model}: batched ${r1(perMinB)}/min vs one by one ${r1(perMinS)}/min = ${r2(ratio)}x; verdicts equal: ${equal}`);
  } finally {
    await pool.close();
  }
}

// ---------------------------------------------------------------- (b) downloads
// The miners' stores: 8 HTTP servers in a child process (not this one's event loop, as a remote store would
// be), each waiting DL_LATENCY_MS before it answers with its own random bytes; the child reports ports and sha256s.
const STORES_JS = `
const http = require("node:http"), crypto = require("node:crypto");
const [n, bytes, wait] = process.argv.slice(1).map(Number);
process.stdin.on("end", () => process.exit(0)).resume(); // the benchmark went away: so do the stores
const out = { ports: [], shas: [] };
let up = 0;
for (let i = 0; i < n; i++) {
  const body = crypto.randomBytes(bytes);
  out.shas.push(crypto.createHash("sha256").update(body).digest("hex"));
  const s = http.createServer((_q, res) => setTimeout(() => { res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(body.length) }); res.end(body); }, wait));
  s.listen(0, "127.0.0.1", () => { out.ports[i] = s.address().port; if (++up === n) process.stdout.write(JSON.stringify(out) + "\\n"); });
}`;

async function startStores(n: number, bytes: number): Promise<{ ports: number[]; shas: string[]; child: ChildProcess }> {
  const child = spawn(process.execPath, ["-e", STORES_JS, String(n), String(bytes), String(DL_LATENCY_MS)], { stdio: ["pipe", "pipe", "inherit"] });
  let buf = "";
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`store process exited with ${code}`)));
    child.stdout!.on("data", (d: Buffer) => {
      buf += d.toString();
      if (buf.includes("\n")) resolve({ ...(JSON.parse(buf.slice(0, buf.indexOf("\n"))) as { ports: number[]; shas: string[] }), child });
    });
  });
}

async function benchDownloads(c: (typeof DL_CASES)[number], results: Record<string, unknown>[], targets: Target[] | null): Promise<void> {
  const bytes = c.mib * 1024 * 1024;
  const { ports, shas, child } = await startStores(DL_MINERS, bytes);
  const urls = ports.map((p) => `http://127.0.0.1:${p}/containers/c.safetensors`);
  const policy = { ...DEFAULT_URL_POLICY, allowPrivate: true };
  const agent = createGuardedAgent({ policy, connections: 8 });
  const dir = createPrivateDir("bench-validator-dl-");
  const limiter = new Limiter(8); // --validator.download_concurrency default
  const one = async (i: number) => {
    const d = await downloadToFile(urls[i]!, { dispatcher: agent, dir, maxBytes: bytes + 1, deadline: Date.now() + 60_000, policy });
    if (d.sha256 !== shas[i] || d.bytes !== bytes) throw new Error(`download ${i}: wrong bytes`);
    await rm(d.path, { force: true });
  };
  const par: number[] = [];
  const seq: number[] = [];
  try {
    log(`[validator] (b) ${DL_MINERS} miners' ${c.mib} MiB containers, ${DL_LATENCY_MS} ms added latency each`);
    await one(0); // warm-up (connection pool, first file)
    for (let round = 0; round < c.rounds; round++) {
      for (const way of round % 2 ? (["sequential", "parallel"] as const) : (["parallel", "sequential"] as const)) {
        sampleLoad();
        const t = performance.now();
        if (way === "parallel") await Promise.all(urls.map((_, i) => limiter.run(() => one(i))));
        else for (let i = 0; i < urls.length; i++) await one(i);
        const ms = performance.now() - t;
        (way === "parallel" ? par : seq).push(ms);
        log(`  round ${round} ${way.padEnd(10)}: ${r1(ms)} ms`);
      }
    }
  } finally {
    await agent.close();
    removePrivateDir(dir);
    child.removeAllListeners("exit");
    child.kill();
  }
  const ratio = median(seq) / median(par);
  results.push({
    case: `download ${DL_MINERS} x ${c.mib} MiB`,
    part: "b",
    miners: DL_MINERS,
    container_mib: c.mib,
    added_latency_ms: DL_LATENCY_MS,
    rounds: c.rounds,
    parallel_ms: r1(median(par)),
    parallel_ms_rounds: par.map(r1),
    baseline: "one download after another (the old validator), same downloadToFile",
    baseline_ms: r1(median(seq)),
    baseline_ms_rounds: seq.map(r1),
    ratio: r2(ratio),
  });
  if (targets) targets.push(target(`download_parallel_vs_sequential_${DL_MINERS}x${c.mib}MiB`, r2(ratio), ">=", 4));
  log(`  parallel ${r1(median(par))} ms vs sequential ${r1(median(seq))} ms = ${r2(ratio)}x`);
}

// ---------------------------------------------------------------- (c) organic API
async function benchOrganic(results: Record<string, unknown>[], targets: Target[]): Promise<void> {
  log(`[validator] (c) organic API vs direct dendrite call, ${ORGANIC_CALLS} calls each, ${ORGANIC_CONTEXT_CHARS}-character contexts`);
  const minerKey = Keypair.fromUri("//BenchOrganicMiner");
  const validatorKey = Keypair.fromUri("//BenchOrganicValidator");
  const axon = new Axon({ wallet: minerKey, port: 0, ip: "127.0.0.1" }).attach(TextCompressProtocol, {
    forward: (s) => ({ compressed_kv_url: `http://127.0.0.1:9/c/${s.context.length}.safetensors`, compressed_length: 256, original_length: 2000, expires_at: 1_900_000_000 }),
  });
  const { port } = await axon.start();
  const dendrite = new Dendrite({ wallet: validatorKey });
  const db = new Database(":memory:");
  migrate(db);
  const keys = new ApiKeyStore(db);
  const { key } = keys.create("bench", 1_000_000);
  const router = new OrganicRouter({
    candidates: () => [{ uid: 7, hotkey: minerKey.address, ip: "127.0.0.1", port, score: 0.9, capacityLeft: 1_000_000 }],
    forward: dendriteForward(dendrite, { timeoutMs: () => 12_000 }),
    record: () => {},
  });
  const app = Fastify({ logger: false });
  await app.register(organicPlugin, { keys, router, tiers: { research: { supporting_models: [MISTRAL], max_context_length_in_chars: 10_000 } } });
  await app.listen({ host: "127.0.0.1", port: 0 });
  const apiPort = (app.server.address() as AddressInfo).port;
  const client = new Agent({ connections: 1, keepAliveTimeout: 60_000 });
  const contextOf = (i: number) => (`call ${i}: ` + "the harbour ledger recorded a transfer of grain. ".repeat(200)).slice(0, ORGANIC_CONTEXT_CHARS);
  const direct = async (i: number) => {
    const s = TextCompressProtocol.create({ context: contextOf(i), target_model: MISTRAL, compressed_kv_format: "safetensors" } as Partial<TextCompressValues> as never);
    const t = performance.now();
    const r = await dendrite.call({ ip: "127.0.0.1", port, hotkey: minerKey.address }, s, { timeoutS: 12 });
    const ms = performance.now() - t;
    if (r.dendrite.status_code !== 200 || !r.compressed_kv_url) throw new Error(`direct call ${i}: ${r.dendrite.status_code} ${r.dendrite.status_message}`);
    return ms;
  };
  const organic = async (i: number) => {
    const body = JSON.stringify({ context: contextOf(i), tier: "research", target_model: MISTRAL });
    const t = performance.now();
    const r = await request(`http://127.0.0.1:${apiPort}/v1/condense`, {
      method: "POST", dispatcher: client,
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body,
    });
    const out = (await r.body.json()) as { url?: string };
    const ms = performance.now() - t;
    if (r.statusCode !== 200 || !out.url?.endsWith(`/${ORGANIC_CONTEXT_CHARS}.safetensors`)) throw new Error(`organic call ${i}: ${r.statusCode} ${JSON.stringify(out)}`);
    return ms;
  };
  const d: number[] = [];
  const o: number[] = [];
  try {
    for (let i = 0; i < ORGANIC_WARMUP; i++) {
      await direct(i);
      await organic(i);
    }
    sampleLoad();
    for (let i = 0; i < ORGANIC_CALLS; i++) {
      // Alternate which goes first; both see the same moment of machine load.
      if (i % 2) {
        o.push(await organic(i));
        d.push(await direct(i));
      } else {
        d.push(await direct(i));
        o.push(await organic(i));
      }
      if ((i + 1) % Math.max(1, Math.floor(ORGANIC_CALLS / 4)) === 0) log(`  ${i + 1}/${ORGANIC_CALLS}: p50 direct ${r2(median(d))} ms, organic ${r2(median(o))} ms`);
    }
    sampleLoad();
  } finally {
    await client.close();
    await app.close();
    dendrite.close();
    await axon.stop();
    db.close();
  }
  const overhead = median(o) - median(d);
  results.push({
    case: "organic overhead",
    part: "c",
    calls: ORGANIC_CALLS,
    context_chars: ORGANIC_CONTEXT_CHARS,
    organic_p50_ms: r2(median(o)),
    organic_p99_ms: r2(quantile(o, 0.99)),
    baseline: "direct dendrite.call to the same axon (same dendrite, keep-alive)",
    direct_p50_ms: r2(median(d)),
    direct_p99_ms: r2(quantile(d, 0.99)),
    overhead_p50_ms: r2(overhead),
  });
  targets.push(target("organic_overhead_p50_ms", r2(overhead), "<=", 5));
  log(`  organic p50 ${r2(median(o))} ms - direct p50 ${r2(median(d))} ms = ${r2(overhead)} ms`);
}

/** machine() without blocking: the interpreter's torch import (seconds) overlaps the worker's start. */
function machineInfo(): Promise<Record<string, unknown>> {
  const py = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../.venv/bin/python");
  const code = "import sys,importlib.util as u;v=sys.version.split()[0];t=__import__('torch').__version__ if u.find_spec('torch') else None;print(v,t)";
  const base = { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", node: process.version };
  return new Promise((resolve) =>
    execFile(py, ["-c", code], (err, stdout) => {
      const [python, torch] = err ? [null, null] : stdout.trim().split(" ");
      resolve({ ...base, python: python ?? null, torch: !torch || torch === "None" ? null : torch });
    }),
  );
}

async function main(): Promise<void> {
  const started = performance.now();
  const info = machineInfo();
  await cryptoReady();
  sampleLoad();
  const results: Record<string, unknown>[] = [];
  const targets: Target[] = [];
  const dir = mkdtempSync(path.join(os.platform() === "linux" ? "/dev/shm" : os.tmpdir(), "bench-validator-"));
  try {
    for (const c of EVAL_CASES) await benchEvaluate(c, dir, results, targets);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (const [i, c] of DL_CASES.entries()) await benchDownloads(c, results, i === 0 ? targets : null);
  await benchOrganic(results, targets);
  sampleLoad();

  log("\ncase                          ours              baseline          ratio / overhead");
  for (const r of results as Array<Record<string, unknown>>) {
    if (r.part === "a") log(`${String(r.case).padEnd(29)} ${`${r.challenges_per_min}/min`.padEnd(17)} ${`${r.baseline_challenges_per_min}/min`.padEnd(17)} ${r.ratio}x (verdicts equal: ${r.verdicts_equal})`);
    if (r.part === "b") log(`${String(r.case).padEnd(29)} ${`${r.parallel_ms} ms`.padEnd(17)} ${`${r.baseline_ms} ms`.padEnd(17)} ${r.ratio}x`);
    if (r.part === "c") log(`${String(r.case).padEnd(29)} ${`p50 ${r.organic_p50_ms} ms`.padEnd(17)} ${`p50 ${r.direct_p50_ms} ms`.padEnd(17)} +${r.overhead_p50_ms} ms`);
  }
  for (const t of targets) log(`target ${t.name}: ${t.value} ${t.op} ${t.target} -> ${t.met ? "met" : "MISSED"}${t.why ? ` (${t.why})` : ""}`);
  const wall = (performance.now() - started) / 1000;
  log(`wall ${r1(wall)} s`);
  const la = loads.map((l) => l[0]!);
  report("validator", quick, results, targets, {
    machine: { ...(await info), loadavg_1m: { min: Math.min(...la), max: Math.max(...la), samples: la }, loadavg_start: loads[0], loadavg_end: loads[loads.length - 1] },
    wall_s: r1(wall),
  });
}

await main().catch((e: unknown) => {
  process.stderr.write(`bench validator failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
