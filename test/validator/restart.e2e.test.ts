// A validator SIGKILLed mid-period and restarted loses and double-counts nothing (issue 10, Tests). Each life is
// a child process in its own process group (fixtures/restart-child.ts: a whole local network on tiny:llama
// workers, then the validator in manual mode). The first life is killed, workers and all, once the database
// holds some but not all of the period's results; the second life, on the same database, the same keys (so the
// same uids) and the same wall-clock period, finishes the period and sets weights. Then the database must show
// every planned query recorded exactly once, counters and EMA equal to what the results say, one close.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import type { ChildMessage } from "./fixtures/restart-child.js";
import { cryptoReady } from "../../ts/bittensor/signing.js";
import { DevChain } from "../../ts/chain/devchain.js";
import { runPeriod, type PeriodDeps } from "../../ts/validator/schedule/period.js";
import { challengeId, challengeParams } from "../../ts/validator/schedule/query.js";
import { DEFAULT_CHALLENGE_SCORE_CONFIG, emaUpdate } from "../../ts/validator/score/index.js";
import { openValidatorState } from "../../ts/validator/state/index.js";
import { loadTierTable } from "../../ts/subnet/index.js";
import { Keypair } from "../../ts/wallet/keypair.js";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../..");
const CHILD = path.join(here, "fixtures/restart-child.ts");
const TIERS = path.join(here, "fixtures/tiers-small.json");
const KINDS = ["needle_single", "kv_retrieval"];
const dir = mkdtempSync(path.join(os.tmpdir(), "validator-restart-"));
const STATE = path.join(dir, "state.db");
const CALIBRATION = path.join(dir, "calibration-tiny.json");
// tiny:llama answers nothing: every kind is "used" at accuracy 0 (with --validator.min_full_accuracy 0), existence off.
writeFileSync(CALIBRATION, JSON.stringify({ model: "tiny:llama", minChars: 1500, maxChars: 3000, kinds: KINDS.map((kind) => ({ kind, accuracy: 0, questions: 2, used: true })), existence: 0 }));

const lives: Life[] = [];
afterAll(() => {
  for (const l of lives) l.kill();
  rmSync(dir, { recursive: true, force: true });
});

class Life {
  readonly child: ChildProcess;
  readonly messages: ChildMessage[] = [];
  private waiters: Array<() => void> = [];
  stderr = "";
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(name: string) {
    // detached: its own process group, so one kill reaches the Python workers too.
    this.child = spawn(process.execPath, ["--import", "tsx", CHILD, path.join(dir, name), STATE, CALIBRATION, TIERS], { cwd: root, detached: true, stdio: ["ignore", "ignore", "pipe", "ipc"] });
    this.child.stderr!.on("data", (b: Buffer) => (this.stderr = (this.stderr + b.toString()).slice(-8000)));
    this.child.on("message", (m: ChildMessage) => {
      this.messages.push(m);
      for (const w of this.waiters.splice(0)) w();
    });
    this.exit = new Promise((r) =>
      this.child.on("exit", (code, signal) => {
        r({ code, signal });
        for (const w of this.waiters.splice(0)) w();
      }),
    );
    lives.push(this);
  }

  async next<T extends ChildMessage["type"]>(type: T, timeoutMs: number): Promise<Extract<ChildMessage, { type: T }>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.messages.find((x) => x.type === type || x.type === "error");
      if (m?.type === "error") throw new Error(`child failed: ${m.message}`);
      if (m) return m as Extract<ChildMessage, { type: T }>;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`child exited before '${type}': ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no '${type}' from the child in ${timeoutMs} ms: ${this.stderr}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, Math.max(0, deadline - Date.now()) + 10);
        this.waiters.push(() => (clearTimeout(t), r()));
      });
    }
  }

  kill(): void {
    try {
      if (this.child.pid) process.kill(-this.child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/** Live processes (zombies aside) in process group `pgid`. */
function groupMembers(pgid: number): string[] {
  const out = execFileSync("ps", ["-eo", "pid=,pgid=,stat=,args="], { encoding: "utf8" });
  return out
    .split("\n")
    .map((l) => l.trim().split(/\s+/))
    .filter((f) => Number(f[1]) === pgid && !f[2]?.startsWith("Z"))
    .map((f) => f.join(" "));
}

/** A period length whose wall-clock period (floor(now / T)) ends within [lo, hi] seconds from now. */
function periodEndingWithin(lo: number, hi: number): number {
  const now = Date.now() / 1000;
  for (let T = Math.ceil(lo); T <= 3600; T++) {
    const left = T - (now % T);
    if (left >= lo && left <= hi) return T;
  }
  throw new Error("no period length fits");
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a validator killed with SIGKILL mid-period and restarted", () => {
  it("records every planned query once, counts each once, closes the period once", async () => {
    // ---- first life: up to the first results, then SIGKILL ----
    const t0 = Date.now();
    const first = new Life("net1");
    const net = await first.next("network", 150_000);
    const startupS = (Date.now() - t0) / 1000;
    // The period must outlast the second life's start-up (its network starts while the first life runs), then
    // the rest of the queries.
    const lo = Math.max(60, 1.15 * startupS + 20);
    const T = periodEndingWithin(lo, lo + 20);
    const periodId = Math.floor(Date.now() / (T * 1000));
    const periodEnd = (periodId + 1) * T * 1000;
    first.child.send({ periodS: T });
    await first.next("validator", 60_000);
    // The restart's network (same deterministic keys) comes up meanwhile; its validator starts after the kill.
    const second = new Life("net2");

    const ro = new Database(STATE, { readonly: true, fileMustExist: true });
    const count = () => ({
      results: (ro.prepare("SELECT COUNT(*) AS n FROM results").get() as { n: number }).n,
      unfinished: (ro.prepare("SELECT COUNT(*) AS n FROM challenges c LEFT JOIN results r ON r.challenge_id = c.id WHERE r.challenge_id IS NULL").get() as { n: number }).n,
      planned: (ro.prepare("SELECT COALESCE(SUM(planned), 0) AS n FROM contenders").get() as { n: number }).n,
    });
    // Best: killed with results in and a challenge in flight (logged, no result); after 20 s any partial state does.
    const preferBy = Date.now() + 20_000;
    for (;;) {
      const c = count();
      if (c.planned > 0 && c.results >= 2 && c.results < c.planned && (c.unfinished > 0 || Date.now() > preferBy)) break;
      if (c.planned > 0 && c.results >= c.planned) throw new Error(`every result was in before the kill could land: ${JSON.stringify(c)}`);
      if (Date.now() > periodEnd - 30_000) throw new Error(`too few results before the kill window closed: ${JSON.stringify(c)} ${first.stderr}`);
      if (first.child.exitCode !== null) throw new Error(`first life exited: ${first.stderr}`);
      if (second.child.exitCode !== null) throw new Error(`second life exited early: ${second.stderr}`);
      await sleep(100);
    }
    first.kill();
    const ended = await first.exit;
    ro.close();
    expect(ended.signal).toBe("SIGKILL");
    // The whole group is gone: the node process and its Python workers.
    let left = groupMembers(first.child.pid!);
    for (let i = 0; i < 50 && left.length; i++) {
      await sleep(100);
      left = groupMembers(first.child.pid!);
    }
    expect(left).toEqual([]);

    const before = new Database(STATE, { readonly: true });
    const beforeResults = before.prepare("SELECT challenge_id, outcome, score, recorded_at FROM results ORDER BY challenge_id").all() as Array<{ challenge_id: string }>;
    const beforeUnfinished = (before.prepare("SELECT c.id FROM challenges c LEFT JOIN results r ON r.challenge_id = c.id WHERE r.challenge_id IS NULL").all() as Array<{ id: string }>).map((r) => r.id);
    const plannedTotal = (before.prepare("SELECT SUM(planned) AS n FROM contenders").get() as { n: number }).n;
    before.close();
    expect(beforeResults.length).toBeGreaterThan(0);
    expect(beforeResults.length).toBeLessThan(plannedTotal);

    // ---- second life: same database, same keys, same wall-clock period ----
    const net2 = await second.next("network", Math.max(1_000, periodEnd - Date.now()));
    expect(net2.uids).toEqual(net.uids);
    expect(Date.now(), "the second life started after the period ended: the machine is too slow for this period").toBeLessThan(periodEnd - 5_000);
    second.child.send({ periodS: T });
    const restartLeftS = (periodEnd - Date.now()) / 1000;
    const done = await second.next("done", periodEnd - Date.now() + 90_000);
    expect((await second.exit).code).toBe(0);
    const elapsedS = (Date.now() - t0) / 1000;

    expect(done.closed).toBe(true);
    expect(done.failedToRun).toBe(0);
    expect(done.alreadyDone).toBe(beforeResults.length);
    expect(done.queries).toBe(plannedTotal - beforeResults.length);
    expect(done.weights === "submitted" || done.weights === "skipped").toBe(true);

    // ---- the database ----
    const db = new Database(STATE, { readonly: true });
    const all = <T>(sql: string, ...p: unknown[]) => db.prepare(sql).all(...p) as T[];
    const periods = all<{ id: number; closed_at: number | null }>("SELECT id, closed_at FROM periods");
    expect(periods.map((p) => p.id)).toEqual([periodId]);
    expect(periods[0]!.closed_at).not.toBeNull();

    const secret = Buffer.from((db.prepare("SELECT value FROM validator_meta WHERE key = 'challenge_secret'").get() as { value: string }).value, "hex");
    const tiers = loadTierTable(TIERS).tiers;
    const contenders = all<{ hotkey: string; tier: string; uid: number; planned: number; capacity: number; total: number; consumed: number; n429: number; n5xx: number }>("SELECT * FROM contenders WHERE period_id = ?", periodId);
    // honest, lazy and each hostile axon (offline never answers Metadata).
    expect(contenders.map((c) => c.uid).sort((a, b) => a - b)).toEqual(Object.entries(net.uids).filter(([n]) => n !== "offline").map(([, u]) => u).sort((a, b) => a - b));
    let expectedIds = 0;
    for (const c of contenders) {
      expect(c.planned, c.hotkey).toBeGreaterThan(0);
      const results = all<{ challenge_id: string; outcome: string; score: number }>("SELECT challenge_id, outcome, score FROM results WHERE period_id = ? AND hotkey = ? AND tier = ? ORDER BY rowid", periodId, c.hotkey, c.tier);
      // Exactly the planned queries, each challenge id once.
      const want = Array.from({ length: c.planned }, (_, i) => challengeId({ periodId, hotkey: c.hotkey, tier: c.tier }, i)).sort();
      expect(results.map((r) => r.challenge_id).sort(), c.hotkey).toEqual(want);
      expectedIds += want.length;
      // Counters are what the results say.
      const n = (o: string[]) => results.filter((r) => o.includes(r.outcome)).length;
      expect({ total: c.total, consumed: c.consumed, n429: c.n429, n5xx: c.n5xx }, c.hotkey).toEqual({ total: results.length, consumed: n(["ok"]), n429: n(["rate_limited"]), n5xx: n(["refused", "failed"]) });
      // The EMA was fed once per scored result, in the order they were recorded.
      const scored = results.filter((r) => r.outcome !== "rate_limited");
      const ema = db.prepare("SELECT ema, n FROM scores WHERE hotkey = ? AND tier = ?").get(c.hotkey, c.tier) as { ema: number; n: number } | undefined;
      expect(ema?.n ?? 0, c.hotkey).toBe(scored.length);
      if (ema) expect(ema.ema).toBeCloseTo(scored.reduce((e, r) => emaUpdate(e, r.score, DEFAULT_CHALLENGE_SCORE_CONFIG.emaAlpha), 0), 12);
      // Closed once: one history row, with the final counters.
      const hist = all<{ total: number; consumed: number; n429: number; n5xx: number; capacity: number }>("SELECT total, consumed, n429, n5xx, capacity FROM period_history WHERE period_id = ? AND hotkey = ? AND tier = ?", periodId, c.hotkey, c.tier);
      expect(hist, c.hotkey).toEqual([{ total: c.total, consumed: c.consumed, n429: c.n429, n5xx: c.n5xx, capacity: c.capacity }]);
    }
    expect(expectedIds).toBe(plannedTotal);
    expect((db.prepare("SELECT COUNT(*) AS n FROM period_history").get() as { n: number }).n).toBe(contenders.length);
    // Nothing outside the plan, no challenge without its result, and each logged with the params its id derives.
    const challenges = all<{ id: string; hotkey: string; tier: string; uid: number; seed: string; params_json: string; has: number }>("SELECT c.*, r.challenge_id IS NOT NULL AS has FROM challenges c LEFT JOIN results r ON r.challenge_id = c.id");
    expect(challenges.length).toBe(plannedTotal);
    for (const ch of challenges) {
      expect(ch.has, ch.id).toBe(1);
      const p = challengeParams({ secret, kinds: KINDS, questions: 2, templateModel: () => "", tiers }, { periodId, uid: ch.uid, hotkey: ch.hotkey, tier: ch.tier, ip: "", port: 0 }, ch.id);
      expect(JSON.parse(ch.params_json), ch.id).toEqual({ ...p, seed: p.seed.toString() });
      expect(ch.seed).toBe(p.seed.toString());
    }
    // What the first life recorded stands untouched; what it left in flight was finished by the second.
    const after = new Map((db.prepare("SELECT challenge_id, outcome, score, recorded_at FROM results").all() as Array<{ challenge_id: string }>).map((r) => [r.challenge_id, r]));
    for (const r of beforeResults) expect(after.get(r.challenge_id)).toEqual(r);
    for (const id of beforeUnfinished) expect(after.has(id), id).toBe(true);
    // One weights computation for the period (the first life died before the close).
    const w = all<{ status: string }>("SELECT status FROM weights_history WHERE period_id = ?", periodId);
    expect(w.length).toBe(1);
    expect(w[0]!.status).not.toBe("failed");
    db.close();
    console.log(JSON.stringify({ startupS, periodS: T, planned: plannedTotal, beforeKill: beforeResults.length, restartLeftS, inFlightAtKill: beforeUnfinished.length, weights: done.weights, elapsedS }));
  }, 420_000);
});

describe("a validator restarted while its miners keep running", () => {
  // A live miner's Metadata counts this validator's requests of the period, the ones made before the crash
  // included. Planning again from that would count them twice (a smaller capacity) and drop planned queries.
  it("keeps the period's first plan: same capacity, every planned query sent once", async () => {
    await cryptoReady();
    const chain = new DevChain({ allowLoopback: true });
    chain.createSubnet(3);
    const cold = Keypair.fromUri("//RCold").address;
    const v = Keypair.fromUri("//RValidator");
    chain.registerHotkey(3, v.address, cold);
    chain.addStake(3, v.address, 1_000n * 1_000_000_000n);
    const ports = new Map<number, string>();
    for (let i = 0; i < 3; i++) {
      const k = Keypair.fromUri(`//RMiner/${i}`);
      chain.registerHotkey(3, k.address, cold);
      await chain.serveAxon(k.toKeyringPair(), { netuid: 3, ip: "127.0.0.1", port: 9100 + i, protocol: 4 });
      ports.set(9100 + i, k.address);
    }
    chain.runEpoch(3);
    const state = openValidatorState(path.join(dir, "live-miners.db"));
    // What each miner has served this validator this period (it does not restart).
    const used = new Map<string, number>();
    const sent: string[] = [];
    const periodMs = 60_000;
    const periodId = 5_000;
    const deps = (stop: AbortController | null): PeriodDeps => ({
      state,
      chain,
      netuid: 3,
      hotkey: v.address,
      tiers: loadTierTable(TIERS),
      periodMs,
      secret: Buffer.alloc(32, 9),
      dialPolicy: { allowPrivate: true },
      // A budget of 5 for this validator, 4 queries planned: after 2 served, a fresh plan would see 3 left.
      queryMetadata: async (t) => ({ tier: "research", tiers: { research: { capacity: 100, budget: 5, used: used.get(ports.get(t.port)!) ?? 0 } } }),
      runQuery: async (c, index, at) => {
        if (stop?.signal.aborted) return; // the process is dead: nothing more happens
        const id = challengeId(c, index);
        sent.push(id);
        used.set(c.hotkey, (used.get(c.hotkey) ?? 0) + 1);
        state.logChallenge({ id, periodId: c.periodId, hotkey: c.hotkey, tier: c.tier, uid: c.uid, origin: "synthetic", kind: "needle_single", seed: "1", params: {}, groundTruth: null, contextSha256: "0".repeat(64), fullAccuracy: 1, scheduledAt: at });
        state.recordResult({ challengeId: id, outcome: "ok", score: 0.5, accuracy: 0.5 });
        if (sent.length === 6) stop?.abort();
      },
      concurrency: 1,
      maxQueriesPerContender: 4,
      log: pino({ level: "silent" }),
      now: () => periodId * periodMs,
      sleep: async () => undefined,
    });
    const stop = new AbortController();
    const a = await runPeriod(deps(stop), periodId, stop.signal);
    expect(a.closed).toBe(false);
    const firstPlan = state.contenders(periodId).map(({ total: _t, consumed: _c, n429: _n, n5xx: _x, ...plan }) => plan);
    expect(firstPlan.length).toBe(3);
    for (const p of firstPlan) expect([p.capacity, p.planned]).toEqual([5, 4]);
    expect(sent.length).toBeLessThan(12);

    const b = await runPeriod(deps(null), periodId, new AbortController().signal);
    expect(b.closed).toBe(true);
    const after = state.contenders(periodId);
    expect(after.map(({ total: _t, consumed: _c, n429: _n, n5xx: _x, ...plan }) => plan)).toEqual(firstPlan);
    for (const c of after) {
      const ids = Array.from({ length: c.planned }, (_, i) => challengeId({ periodId, hotkey: c.hotkey, tier: c.tier }, i)).sort();
      expect(sent.filter((id) => ids.includes(id)).sort()).toEqual(ids);
      expect(c.consumed).toBe(4);
    }
    expect(new Set(sent).size).toBe(sent.length);
    expect(sent.length).toBe(12);
    state.close();
  });
});
