// Sampled organic results quality-scored through the real worker path (SmolLM2: the generator writes QA about
// the client's context, the judge needs real language): the API started as the validator starts it, real axons on
// loopback (an honest miner compressing with the shared worker, a miner replaying another context's container),
// every success sampled. A scored sample's row has a score and the full cache's accuracy; a replayed container
// is refused with 0; over --validator.organic.max_scoring (and its queue) a sample is verified only and counted;
// no HTTP answer carries the ground truth.
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Axon } from "../../../ts/axon/index.js";
import { TextCompressProtocol } from "../../../ts/bittensor/protocols.js";
import { cryptoReady } from "../../../ts/bittensor/signing.js";
import { signContainer } from "../../../ts/container/signature.js";
import { Dendrite } from "../../../ts/dendrite/dendrite.js";
import { WorkerPoolCompressor } from "../../../ts/miner/compressor.js";
import { loadTierTable } from "../../../ts/subnet/index.js";
import { validatorConfigFromArgs } from "../../../ts/validator/config.js";
import { ApiKeyStore } from "../../../ts/validator/organic/index.js";
import { DEFAULT_CHALLENGE_SCORE_CONFIG } from "../../../ts/validator/score/index.js";
import { openValidatorState, type ValidatorState } from "../../../ts/validator/state/index.js";
import { startOrganic } from "../../../ts/validator/validator.js";
import { Keypair } from "../../../ts/wallet/keypair.js";
import { WorkerPool } from "../../../ts/workers/index.js";
import { quietLogger } from "../../workers/helpers.js";

const TARGET = "mistralai/Mistral-7B-Instruct-v0.2";
const TIERS = path.join(import.meta.dirname, "../fixtures/tiers-small.json");
const CONTEXT = "Travel notes for the client. The ferry to Ischia leaves Naples at nine forty from the Beverello pier and the crossing takes about one hour. A one-way ticket costs twenty-one euros and is sold at the pier. The last ferry back to Naples leaves Ischia at six fifteen in the evening. ".repeat(5);
const OTHER = "An unrelated context about lighthouses. The lighthouse of Alexandria stood on the island of Pharos. ".repeat(12);
const PERIOD = 1;

let dir: string;
let pool: WorkerPool;
let state: ValidatorState;
let dendrite: Dendrite;
const closers: Array<() => Promise<unknown> | unknown> = [];
const uids = { honest: 1, replay: 2 };
let gate: Promise<void> | null = null;
let release: (() => void) | null = null;

beforeAll(async () => {
  await cryptoReady();
  dir = await mkdtemp(path.join(os.tmpdir(), "organic-scoring-"));
  pool = await WorkerPool.start({ workers: [{ model: "smollm2", device: "cpu", count: 1 }], threads: 1, readyTimeoutMs: 120_000, logger: quietLogger() });
  closers.push(() => pool.close());
  state = openValidatorState(path.join(dir, "state.db"));
  closers.push(() => state.close());
  const shape = pool.workers().find((w) => w.hello)!.hello!.shape!;
  state.setMeta("model_shape", { numLayers: shape.numLayers, kvHeads: shape.numKvHeads, headDim: shape.headDim, hiddenSize: shape.hiddenSize });

  // A file server for the miners' containers.
  const served = new Map<string, string>();
  const files = http.createServer((req, res) => {
    const f = served.get(req.url ?? "");
    if (!f) return void res.writeHead(404).end();
    void readFile(f).then((b) => res.writeHead(200, { "content-length": String(b.length) }).end(b));
  });
  await new Promise<void>((r) => files.listen(0, "127.0.0.1", r));
  closers.push(() => new Promise((r) => files.close(r)));
  const filesPort = (files.address() as AddressInfo).port;
  let n = 0;
  const serve = (f: string) => {
    const route = `/f/${n++}.safetensors`;
    served.set(route, f);
    return `http://127.0.0.1:${filesPort}${route}`;
  };
  const compressor = new WorkerPoolCompressor(pool);
  const make = async (key: Keypair, context: string) => {
    const out = path.join(dir, `c-${n}-${Date.now()}.safetensors`);
    const r = await compressor.compress({ context, targetModel: TARGET, algorithm: "streaming_llm", ratio: 0.6, minTokens: 128, maxTokens: 1024, outputPath: out, minerHotkey: key.address }, { deadline: Date.now() + 300_000 });
    await signContainer(out, key.toKeyringPair());
    return { path: out, kept: r.keptTokens };
  };
  const keys = { honest: Keypair.fromUri("//OrganicHonest"), replay: Keypair.fromUri("//OrganicReplay") };
  // The replaying miner's container: its own, correctly signed, but made for another context.
  const donor = await make(keys.replay, OTHER);
  const axons: Record<string, { ip: string; port: number }> = {};
  for (const name of ["honest", "replay"] as const) {
    const axon = new Axon({ wallet: keys[name], port: 0, ip: "127.0.0.1" }).attach(TextCompressProtocol, {
      forward: async (s) => {
        if (name === "replay") {
          const out = path.join(dir, `replay-${n}.safetensors`);
          await copyFile(donor.path, out);
          return { compressed_kv_url: serve(out), compressed_length: donor.kept, original_length: 400 };
        }
        const c = await make(keys.honest, s.context);
        return { compressed_kv_url: serve(c.path), compressed_length: c.kept, original_length: 400 };
      },
    });
    const { port } = await axon.start();
    closers.push(() => axon.stop());
    axons[keys[name].address] = { ip: "127.0.0.1", port };
  }
  const now = Date.now();
  state.openPeriod(PERIOD, now, now + 3_600_000);
  state.upsertContenders(PERIOD, (["honest", "replay"] as const).map((name) => ({ hotkey: keys[name].address, tier: "research", uid: uids[name], declaredCapacity: 50, budget: 50, capacity: 50, testShare: 0, planned: 0 })));
  state.setMeta(`axons:${PERIOD}`, axons);
  dendrite = new Dendrite({ wallet: Keypair.fromUri("//OrganicValidator") });
  closers.push(() => dendrite.close());
}, 240_000);

afterAll(async () => {
  release?.();
  for (const c of closers.reverse()) await Promise.resolve(c()).catch(() => undefined);
  if (dir) await rm(dir, { recursive: true, force: true });
}, 120_000);

async function api(extra: string[], opts: { pool?: boolean } = {}) {
  const cfg = validatorConfigFromArgs(["--netuid", "7", "--subtensor.network", "dev", "--validator.allow_private", "--validator.organic.port", "0", "--validator.organic.verify_share", "1", "--validator.questions", "3", "--logging.level", "silent", ...extra]);
  const registry = new Registry();
  // The worker pool as the API sees it: a Challenge request may be held at a gate (to keep a job in flight).
  const gated = {
    request: async (req: Parameters<WorkerPool["request"]>[0]) => {
      // A held job is dropped when the gate opens (its worker call fails): the test need not wait for it.
      if (req.body.case === "challenge" && gate) {
        await gate;
        throw new Error("held by the test, then dropped");
      }
      return pool.request(req);
    },
    close: async () => undefined,
    workers: () => pool.workers(),
  };
  const org = await startOrganic(cfg, {
    state,
    dendrite,
    tiers: loadTierTable(TIERS),
    neuron: { registry, log: quietLogger() },
    ...(opts.pool === false ? {} : { pool: gated, scoring: { hotkey: Keypair.fromUri("//OrganicValidator").address, templateModel: () => "", score: { ...DEFAULT_CHALLENGE_SCORE_CONFIG, useExistence: false } } }),
  });
  closers.push(() => org.close());
  const key = new ApiKeyStore(state.db).create(`k${Math.random()}`, 100).key;
  const post = async (minerUid: number) => {
    const r = await fetch(`http://127.0.0.1:${org.port}/v1/condense`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ context: CONTEXT, tier: "research", target_model: TARGET, miner_uid: minerUid }) });
    return { status: r.status, text: await r.text() };
  };
  const metric = async (reason: string) => {
    const all = await registry.getMetricsAsJSON();
    const m = all.find((x) => x.name === "condense_organic_scoring_skipped_total")?.values.find((v) => v.labels.reason === reason && v.labels.tier === "research");
    return m?.value ?? 0;
  };
  return { org, post, metric, registry };
}

type Row = { challenge_id: string; outcome: string; score: number; accuracy: number | null; full_accuracy: number | null; detail: string | null; refusal_code: string | null; hotkey: string; kind: string; ground_truth_json: string | null };
const rows = (): Row[] => state.db.prepare("SELECT r.*, c.kind, c.ground_truth_json FROM results r JOIN challenges c ON c.id = r.challenge_id WHERE c.origin = 'organic' ORDER BY r.recorded_at").all() as Row[];
const uidOf = (hotkey: string) => state.contenders(PERIOD).find((c) => c.hotkey === hotkey)!.uid;
const ema = (uid: number) => state.scores("research").find((s) => s.uid === uid);

describe("organic results quality-scored like synthetic ones", () => {
  it("scores a sampled success against QA written about its own context, beside the full cache's accuracy", async () => {
    const { org, post } = await api([]);
    const r = await post(uids.honest);
    expect(r.status).toBe(200);
    await org.drain();
    const mine = rows().filter((x) => uidOf(x.hotkey) === uids.honest);
    expect(mine).toHaveLength(1);
    const row = mine[0]!;
    expect([row.kind, row.detail]).toEqual(["organic_qa", null]);
    expect(row.outcome).toBe("ok");
    // The full cache of the same context answered this sample's questions: its share is stored with the score.
    expect(row.full_accuracy).not.toBeNull();
    expect(row.full_accuracy!).toBeGreaterThan(0);
    expect(row.accuracy).not.toBeNull();
    expect(row.score).toBeGreaterThanOrEqual(0);
    // Scored: it went into the EMA (n = 1).
    expect(ema(uids.honest)?.n).toBe(1);
    // The ground truth is in the state, never in the HTTP answer.
    const truth = JSON.parse(row.ground_truth_json!) as { answers: string[][]; questions: string[] };
    expect(truth.answers).toHaveLength(3);
    for (const a of [...truth.answers.flat(), ...truth.questions]) if (a.length > 3) expect(r.text).not.toContain(a);
    expect(Object.keys(JSON.parse(r.text)).sort()).toEqual(["expires_at", "kept_tokens", "miner_uid", "original_tokens", "url"]);
  }, 240_000);

  it("refuses a replayed container (another context's) and scores it 0", async () => {
    const { org, post } = await api([]);
    expect((await post(uids.replay)).status).toBe(200);
    await org.drain();
    const mine = rows().filter((x) => uidOf(x.hotkey) === uids.replay);
    expect(mine.map((x) => [x.outcome, x.refusal_code, x.score])).toEqual([["refused", "BINDING_MISMATCH", 0]]);
    expect(ema(uids.replay)).toMatchObject({ n: 1, ema: 0 });
  }, 120_000);

  it("over the scoring bound a sample is verified only and counted; without workers, verified only", async () => {
    const before = rows().length;
    const n0 = ema(uids.honest)?.n ?? 0;
    let open!: () => void;
    gate = new Promise((r) => (open = release = r));
    const { org, post, metric } = await api(["--validator.organic.max_scoring", "1", "--validator.organic.scoring_queue", "0"]);
    expect((await post(uids.honest)).status).toBe(200); // its scoring job waits at the gate, holding the one slot
    expect((await post(uids.honest)).status).toBe(200);
    // The second sample finds the slot taken and no queue: verified only, recorded at once.
    const deadline = Date.now() + 60_000;
    while (rows().length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const busy = rows().slice(before);
    expect(busy.map((x) => [x.outcome, x.kind])).toEqual([["ok", "organic"]]);
    expect(busy[0]!.detail).toContain("verified only");
    expect(await metric("busy")).toBe(1);
    expect(ema(uids.honest)?.n ?? 0).toBe(n0); // not in the EMA
    open();
    await org.drain();
    gate = null;
    // The held job failed in the worker: verified only as well, counted apart.
    expect(rows().slice(before).map((x) => [x.outcome, x.kind])).toEqual([["ok", "organic"], ["ok", "organic"]]);
    expect(rows().at(-1)!.detail).toContain("organic scoring failed");
    expect(await metric("error")).toBe(1);
    expect(ema(uids.honest)?.n ?? 0).toBe(n0);

    // The organic API as its own process (no workers): verified only, never quality-scored.
    const solo = await api([], { pool: false });
    expect((await solo.post(uids.honest)).status).toBe(200);
    const d2 = Date.now() + 60_000;
    while (rows().length === before + 2 && Date.now() < d2) await new Promise((r) => setTimeout(r, 100));
    const last = rows().at(-1)!;
    expect([last.outcome, last.kind, last.detail]).toEqual(["ok", "organic", "organic, sampled: verified only (no workers in this process)"]);
  }, 240_000);
});
