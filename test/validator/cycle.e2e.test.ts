// A full validator cycle on the DevChain with real miners on loopback (SmolLM2 workers standing in for
// Mistral-7B): an honest miner (kvzip_shared), a lazy one (streaming_llm at 0.9), hostile ones (wrong shapes, a
// container replayed from another miner's challenge, a forged binding, a 250,000-character hotkey, a 2 GB
// download, a stalled download), one over its capacity (429) and one offline. The weights on chain must rank
// honest above lazy above the rest, give the hostile and offline miners nothing, and every refusal must be in
// the state with its reason.
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextSha256 } from "../../ts/container/hash.js";
import type { NeuronPool } from "../../ts/neuron/index.js";
import { validatorConfigFromArgs } from "../../ts/validator/config.js";
import { openValidatorState } from "../../ts/validator/state/index.js";
import { startValidator, type RunningValidator } from "../../ts/validator/validator.js";
import { NETUID, startNetwork, type Behaviour, type Network } from "./fixtures/network.js";

const HERE = path.dirname(new URL(import.meta.url).pathname);
const TIERS = path.join(HERE, "fixtures/tiers-small.json");
const CALIBRATION = path.join(HERE, "fixtures/calibration-smollm2-small.json");
const SECRET = process.env.CONDENSE_CYCLE_SECRET ?? "5ec7e7".padEnd(64, "0");
const CYCLE_PERIOD = Number(process.env.CONDENSE_CYCLE_PERIOD ?? 1_000_000);
const BEHAVIOURS: Behaviour[] = ["wrong_shape", "replay", "forged_binding", "huge_hotkey", "huge_download", "stalled_download", "over_capacity"];

let dir: string;
let net: Network;
let v: RunningValidator;
let weights: Map<number, number>;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "validator-cycle-"));
  net = await startNetwork({ dir, tiersFile: TIERS, behaviours: BEHAVIOURS, honest: { algorithm: "kvzip_shared", ratio: 0.5 }, lazy: { algorithm: "streaming_llm", ratio: 0.9 } });
  const cfg = validatorConfigFromArgs([
    "--netuid", String(NETUID), "--subtensor.network", "dev", "--model", "smollm2", "--validator.allow_stand_in", "--validator.allow_private",
    "--validator.tiers_file", TIERS, "--validator.calibration_file", CALIBRATION, "--validator.state_path", path.join(dir, "state.db"),
    "--validator.period_s", "30", "--validator.max_queries_per_contender", "3", "--validator.questions", "2", "--validator.top_fraction", "1",
    "--validator.download_timeout_s", "5", "--validator.challenge_kinds", "needle_single", "--validator.query_concurrency", "4", "--logging.level", "warn",
  ]);
  // A fixed challenge secret and period make the run deterministic (greedy decoding): the same challenges every run, so
  // the lazy miner's few lucky answers (needles inside its recent window) do not come and go between runs.
  const seed = openValidatorState(path.join(dir, "state.db"));
  seed.secret(Buffer.from(SECRET, "hex"));
  seed.close();
  // The validator evaluates on the same workers the miners compress on (one 2-core machine).
  const shared: NeuronPool = { request: (r) => net.pool.request(r), workers: () => net.pool.workers(), close: async () => undefined };
  v = await startValidator(cfg, { chain: net.chain, hotkey: net.validator, startPool: async () => shared as never, manual: true });
  // A fixed period (long over, so its queries run at once): with the fixed secret, the same challenges every
  // run. The challenge ids, and so the challenges, are drawn from the period id, which the clock would change.
  const r = await v.runPeriodOnce(undefined, CYCLE_PERIOD);
  expect(r.period.closed).toBe(true);
  expect(r.weights?.status).toBe("submitted");
  weights = new Map(net.chain.weightsOf(NETUID, net.validatorUid));
  console.log(JSON.stringify({ weights: Object.fromEntries(Object.entries(net.uids).map(([n, u]) => [n, weights.get(u) ?? 0])), scores: v.state.scores().map((s) => ({ uid: s.uid, ema: s.ema, n: s.n })) }));
}, 900_000);

afterAll(async () => {
  await v?.stop();
  await net?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const w = (name: string) => weights.get(net.uids[name]!) ?? 0;
const results = (name: string) =>
  v.state.db.prepare("SELECT outcome, refusal_code AS code, accuracy, score, seconds FROM results WHERE hotkey = ? ORDER BY recorded_at").all(net.keys[name]!.address) as Array<{ outcome: string; code: string | null; accuracy: number | null; score: number; seconds: number | null }>;

describe("a validator cycle on the DevChain", () => {
  it("ranks honest above lazy above the rest; hostile and offline miners get nothing", () => {
    expect(w("honest")).toBeGreaterThan(w("lazy"));
    expect(w("lazy")).toBeGreaterThan(0);
    for (const b of [...BEHAVIOURS.filter((x) => x !== "over_capacity"), "offline"]) expect([b, w(b)]).toEqual([b, 0]);
    // Over capacity is not hostile: it served one real container before its 429s, and keeps what that earns
    // under the period-score formula (next test), below the honest miner.
    expect(w("over_capacity")).toBeLessThan(w("honest"));
  });

  it("refuses each hostile container for its own reason, before any evaluation", () => {
    const expected: Record<string, string> = {
      wrong_shape: "SHAPE_MISMATCH",
      replay: "BINDING_MISMATCH",
      forged_binding: "BAD_SIGNATURE",
      huge_download: "SIZE_DECLARED",
      stalled_download: "DEADLINE",
    };
    for (const [name, code] of Object.entries(expected)) {
      const rs = results(name);
      expect(rs.length, name).toBeGreaterThan(0);
      for (const r of rs) expect([name, r.outcome, r.code]).toEqual([name, "refused", code]);
    }
    const huge = results("huge_hotkey");
    expect(huge.length).toBeGreaterThan(0);
    for (const r of huge) expect(r.outcome).toBe("refused");
    // Only the context went out: each hostile miner's request is exactly a logged challenge's context, with the
    // subnet's ground-truth fields empty.
    const shas = new Set((v.state.db.prepare("SELECT context_sha256 AS s FROM challenges").all() as Array<{ s: string }>).map((r) => r.s));
    for (const reqs of Object.values(net.received))
      for (const r of reqs) {
        expect(shas.has(contextSha256(r.context))).toBe(true);
        expect(r.taskData).toMatchObject({ challenge_questions: [], challenge_answers: [], formatted_questions: [], positive_chunks: [], negative_chunks: [] });
      }
  });

  it("counts 429s apart, at the cost the period-score formula gives", () => {
    const row = v.state.db.prepare("SELECT capacity, consumed, total, n429, n5xx, period_score FROM period_history WHERE hotkey = ?").get(net.keys.over_capacity!.address) as { capacity: number; consumed: number; total: number; n429: number; n5xx: number; period_score: number };
    expect(row.n429).toBeGreaterThan(0);
    expect(row.n5xx).toBe(0);
    // SN19 [N6]: good x (1 - f429 U) x (1 - f5xx U)^2 with U the unused share of capacity.
    const U = Math.max(row.capacity - row.consumed, 0) / Math.max(row.capacity, 1);
    const good = (row.total - row.n429 - row.n5xx) / row.total;
    expect(row.period_score).toBeCloseTo(good * (1 - (row.n429 / row.total) * U) * (1 - (row.n5xx / row.total) * U) ** 2, 10);
    // A 429 leaves the quality EMA alone: it is the served request's score alone, not dragged towards 0.
    const ema = v.state.scores().find((s) => s.hotkey === net.keys.over_capacity!.address);
    expect(ema?.n).toBe(row.consumed);
  });

  it("does not make the offline miner a contender, and stores every score beside the full cache's accuracy", () => {
    const period = (v.state.db.prepare("SELECT MAX(id) AS id FROM periods").get() as { id: number }).id;
    const hotkeys = v.state.contenders(period).map((c) => c.hotkey);
    expect(hotkeys).not.toContain(net.keys.offline!.address);
    expect(hotkeys).toContain(net.keys.honest!.address);
    const ok = v.state.db.prepare("SELECT accuracy, full_accuracy, answers_json FROM results WHERE outcome = 'ok' AND hotkey = ?").all(net.keys.honest!.address) as Array<{ accuracy: number; full_accuracy: number | null; answers_json: string }>;
    expect(ok.length).toBeGreaterThan(0);
    for (const r of ok) {
      expect(r.full_accuracy).toBeGreaterThan(0);
      // What the decoder answered is kept with its verdicts (2 questions per challenge); accuracy is at most
      // their mean (the existence gate can only lower it).
      const d = JSON.parse(r.answers_json) as { answers: string[]; verdicts: boolean[] };
      expect([d.answers.length, d.verdicts.length]).toEqual([2, 2]);
      expect(d.verdicts.filter(Boolean).length / 2).toBeGreaterThanOrEqual(r.accuracy - 1e-9);
    }
  });
});
