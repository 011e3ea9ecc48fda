// Validator state on SQLite (issue 10 §6): pragmas and migrations, idempotent keyed writes, a second
// process on the same database, and a validator killed mid-cycle that resumes without losing or
// double-counting anything.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { isStateError, MIGRATIONS, openValidatorState, type ValidatorState } from "../../../ts/validator/state/index.js";
import { CONTENDERS, PERIOD, runCycle } from "./fixtures/cycle.js";

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), "condense-state-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const fresh = () => path.join(dir, `s${n++}.db`);

function tsx(script: string, args: string[]) {
  return run(process.execPath, ["--import", "tsx", path.join(here, "fixtures", script), ...args], { cwd: path.resolve(here, "../../.."), timeout: 60_000 });
}

const plan = (hotkey: string, uid = 9) => ({ hotkey, tier: "research", uid, declaredCapacity: 1000, budget: 500, capacity: 500, testShare: 0.04, planned: 20 });
function challenge(state: ValidatorState, id: string, hotkey: string, periodId = 7) {
  return state.logChallenge({
    id,
    periodId,
    hotkey,
    tier: "research",
    uid: 9,
    origin: "synthetic",
    kind: "needle",
    seed: `s-${id}`,
    params: { a: 1 },
    groundTruth: { answer: "42" },
    contextSha256: "ab".repeat(32),
    fullAccuracy: 0.8,
    scheduledAt: 0,
  });
}

/** Everything that must be equal between a resumed run and a clean one (timestamps left out). */
function snapshot(file: string) {
  const db = new Database(file, { readonly: true });
  const q = (sql: string) => db.prepare(sql).all();
  const out = {
    periods: q("SELECT id, started_at, ends_at, closed_at IS NOT NULL AS closed FROM periods"),
    contenders: q("SELECT * FROM contenders ORDER BY hotkey"),
    history: q("SELECT * FROM period_history ORDER BY hotkey"),
    challenges: q("SELECT id, seed, params_json, ground_truth_json FROM challenges ORDER BY id"),
    results: q("SELECT challenge_id, outcome, refusal_code, score, full_accuracy FROM results ORDER BY challenge_id"),
    scores: q("SELECT hotkey, tier, uid, ema, n FROM scores ORDER BY hotkey"),
  };
  db.close();
  return out;
}

describe("database setup (issue 10 §6)", () => {
  it("uses WAL, a busy timeout, foreign keys and a migrations table", () => {
    const file = fresh();
    const s = openValidatorState(file, { busyTimeoutMs: 1234 });
    expect(s.db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(s.db.pragma("busy_timeout", { simple: true })).toBe(1234);
    expect(s.db.pragma("foreign_keys", { simple: true })).toBe(1);
    expect(s.schemaVersion()).toBe(MIGRATIONS.length);
    s.close();
    // reopening applies nothing twice
    const again = openValidatorState(file);
    expect(again.db.prepare("SELECT COUNT(*) AS n FROM schema_migrations").get()).toEqual({ n: MIGRATIONS.length });
    again.close();
  });

  it("keeps the challenge secret it made first: random, or the one a reproducible run passes; never replaced", () => {
    const file = fresh();
    const s = openValidatorState(file);
    const fixed = Buffer.alloc(32, 0xab);
    expect(s.secret(fixed).equals(fixed)).toBe(true);
    expect(s.secret(Buffer.alloc(32, 1)).equals(fixed)).toBe(true);
    s.close();
    const again = openValidatorState(file);
    expect(again.secret().equals(fixed)).toBe(true);
    again.close();
    const other = openValidatorState(fresh());
    expect(other.secret().length).toBe(32);
    expect(other.secret().equals(fixed)).toBe(false);
    other.close();
  });

  it("refuses a database migrated by newer code", () => {
    const file = fresh();
    openValidatorState(file).close();
    const db = new Database(file);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'future', 0)").run();
    db.close();
    let err: unknown;
    try {
      openValidatorState(file);
    } catch (e) {
      err = e;
    }
    expect(isStateError(err, "SCHEMA_TOO_NEW")).toBe(true);
  });
});

describe("idempotent writes (issue 10 §6)", () => {
  it("counts a result once however often it is recorded; the first write wins", () => {
    const s = openValidatorState(fresh());
    s.openPeriod(7, 0, 600_000);
    s.upsertContenders(7, [plan("hk")]);
    expect(challenge(s, "c1", "hk")).toBe(true);
    expect(challenge(s, "c1", "hk")).toBe(false);
    expect(s.recordResult({ challengeId: "c1", outcome: "ok", score: 1 })).toBe(true);
    expect(s.recordResult({ challengeId: "c1", outcome: "ok", score: 1 })).toBe(false);
    expect(s.recordResult({ challengeId: "c1", outcome: "failed", score: 0 })).toBe(false);
    const [c] = s.contenders(7);
    expect([c!.total, c!.consumed, c!.n5xx]).toEqual([1, 1, 0]);
    expect(s.scores()[0]).toMatchObject({ ema: 0.1, n: 1 });
    // re-planning the contender after a restart keeps its counters
    s.upsertContenders(7, [{ ...plan("hk"), planned: 25 }]);
    expect(s.contenders(7)[0]).toMatchObject({ total: 1, consumed: 1, planned: 25 });
    s.close();
  });

  it("stores each result beside the full cache's accuracy and the refusal reason", () => {
    const s = openValidatorState(fresh());
    s.openPeriod(7, 0, 600_000);
    s.upsertContenders(7, [plan("hk")]);
    challenge(s, "c1", "hk");
    challenge(s, "c2", "hk");
    challenge(s, "c3", "hk");
    s.recordResult({ challengeId: "c1", outcome: "refused", refusalCode: "BINDING_MISMATCH", detail: "x".repeat(5000), score: 0.9 });
    s.recordResult({ challengeId: "c2", outcome: "rate_limited", score: 0 });
    // The decoder's answers come from a miner's cache: kept bounded (32 answers, each clipped like a detail).
    s.recordResult({ challengeId: "c3", outcome: "ok", score: 0.6, accuracy: 0.6, decoded: { answers: Array.from({ length: 100 }, () => "y".repeat(5000)), verdicts: Array.from({ length: 100 }, (_, i) => i === 0) } });
    const decoded = JSON.parse((s.db.prepare("SELECT answers_json FROM results WHERE challenge_id = 'c3'").get() as { answers_json: string }).answers_json) as { answers: string[]; verdicts: boolean[] };
    expect([decoded.answers.length, decoded.verdicts.length, Math.max(...decoded.answers.map((a) => a.length)), decoded.verdicts[0], decoded.verdicts[1]]).toEqual([32, 32, 1003, true, false]);
    expect((s.db.prepare("SELECT answers_json FROM results WHERE challenge_id = 'c1'").get() as { answers_json: string | null }).answers_json).toBeNull();
    const rows = s.db.prepare("SELECT challenge_id, score, full_accuracy, refusal_code, length(detail) AS d FROM results ORDER BY challenge_id").all();
    expect(rows).toEqual([
      { challenge_id: "c1", score: 0, full_accuracy: 0.8, refusal_code: "BINDING_MISMATCH", d: 1003 },
      { challenge_id: "c2", score: 0, full_accuracy: 0.8, refusal_code: null, d: null },
      { challenge_id: "c3", score: 0.6, full_accuracy: 0.8, refusal_code: null, d: null },
    ]);
    expect(s.refusals("hk")).toEqual({ BINDING_MISMATCH: 1 });
    // the 429 counts in the period, not in the EMA: 0.9 * (0.1 * 0) + 0.1 * 0.6
    expect(s.scores()[0]).toMatchObject({ n: 2 });
    expect(s.scores()[0]!.ema).toBeCloseTo(0.06, 12);
    expect(s.contenders(7)[0]).toMatchObject({ total: 3, consumed: 1, n429: 1, n5xx: 1 });
    s.close();
  });

  it("refuses challenges for unknown contenders and results for unknown challenges", () => {
    const s = openValidatorState(fresh());
    s.openPeriod(7, 0, 600_000);
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isStateError(e) ? e.code : String(e);
      }
      return "none";
    };
    expect(codeOf(() => challenge(s, "c1", "nobody"))).toBe("UNKNOWN_CONTENDER");
    expect(codeOf(() => s.recordResult({ challengeId: "nope", outcome: "ok", score: 1 }))).toBe("UNKNOWN_CHALLENGE");
    expect(codeOf(() => challenge(s, "c1", "hk", 8))).toBe("UNKNOWN_PERIOD");
    s.upsertContenders(7, [plan("hk")]);
    challenge(s, "c1", "hk");
    expect(codeOf(() => s.logChallenge({ ...s.challenge("c1")!, seed: "other" }))).toBe("CONFLICT");
    s.close();
  });

  it("closes a period once, in one transaction, and then refuses writes to it", () => {
    const s = openValidatorState(fresh());
    s.openPeriod(7, 0, 600_000);
    s.upsertContenders(7, [plan("hk"), plan("idle", 10)]);
    challenge(s, "c1", "hk");
    challenge(s, "c2", "hk");
    s.recordResult({ challengeId: "c1", outcome: "ok", score: 1 });
    expect(s.unfinishedChallenges(7)).toEqual(["c2"]);
    expect(s.closePeriod(7)).toBe(true);
    expect(s.closePeriod(7)).toBe(false);
    expect(s.db.prepare("SELECT COUNT(*) AS n FROM period_history").get()).toEqual({ n: 2 });
    // capacity 500, 1 consumed of 1 asked: period score 1; the idle contender was never asked: null
    expect(s.periodHistory("hk", "research")).toEqual([{ score: 1, consumed: 1 }]);
    expect(s.periodHistory("idle", "research")).toEqual([{ score: null, consumed: 0 }]);
    expect(() => s.recordResult({ challengeId: "c2", outcome: "ok", score: 1 })).toThrow(/PERIOD_CLOSED/);
    expect(s.openPeriods()).toEqual([]);
    s.close();
  });

  it("keeps pending commits across a restart until revealed; weights history is a log", () => {
    const file = fresh();
    const s = openValidatorState(file);
    const commit = { commitHash: "0xab", kind: "hash" as const, netuid: 47, uids: [1, 2], weights: [65535, 100], salt: [1, 2, 3], versionKey: 3, commitBlock: 100, revealAfter: 460 };
    expect(s.addPendingCommit(commit)).toBe(true);
    expect(s.addPendingCommit(commit)).toBe(false);
    s.recordWeights({ periodId: 7, block: 100, mode: "commit", status: "submitted", uids: [1, 2], weights: [65535, 100] });
    s.close();
    const r = openValidatorState(file);
    expect(r.pendingCommits()).toEqual([commit]);
    expect(r.markRevealed("0xab", 470)).toBe(true);
    expect(r.markRevealed("0xab", 471)).toBe(false);
    expect(r.pendingCommits()).toEqual([]);
    expect(r.weightsHistory()[0]).toMatchObject({ mode: "commit", status: "submitted", uids: [1, 2], weights: [65535, 100] });
    r.close();
  });
});

describe("a second process on the same database (the organic API)", () => {
  it("writes concurrently with this one; nothing is lost and no writer sees SQLITE_BUSY", async () => {
    const file = fresh();
    const s = openValidatorState(file);
    s.openPeriod(7, 0, 600_000);
    s.upsertContenders(7, [plan("organic-hk"), plan("synthetic-hk", 10)]);
    let childDone = false;
    const child = tsx("organic-writer.ts", [file, "organic-hk", "300"]).finally(() => (childDone = true));
    // keep writing from here for as long as the child writes, so the two really interleave
    let mine = 0;
    while (!childDone) {
      challenge(s, `syn-${mine}`, "synthetic-hk");
      s.recordResult({ challengeId: `syn-${mine}`, outcome: "ok", score: 0.5 });
      mine++;
      await new Promise((r) => setTimeout(r, 2));
    }
    const { stdout } = await child;
    expect(JSON.parse(stdout)).toMatchObject({ done: 300 });
    const span = (hk: string) => s.db.prepare("SELECT MIN(recorded_at) AS a, MAX(recorded_at) AS b FROM results WHERE hotkey = ?").get(hk) as { a: number; b: number };
    const o = span("organic-hk");
    const p = span("synthetic-hk");
    expect(o.a).toBeLessThan(p.b); // the child's writes began before ours ended, and ours went on after its start
    expect(p.b).toBeGreaterThanOrEqual(o.b);
    expect(s.resultCounts(7)).toEqual({ ok: 200 + mine, refused: 0, rate_limited: 0, failed: 100 });
    const byHk = Object.fromEntries(s.contenders(7).map((c) => [c.hotkey, [c.total, c.consumed, c.n5xx]]));
    expect(byHk).toEqual({ "organic-hk": [300, 200, 100], "synthetic-hk": [mine, mine, 0] });
    s.close();
  });
});

describe("a validator killed mid-cycle resumes without losing or double-counting", () => {
  const clean = fresh();
  const s = openValidatorState(clean);
  runCycle(s);
  s.close();
  const expected = snapshot(clean);

  it("the clean cycle is what the formulas say", () => {
    expect(expected.results).toHaveLength(12);
    const busy = expected.history.find((h) => (h as { hotkey: string }).hotkey === "hk-busy") as Record<string, number>;
    // 4 asked, 2 ok, 2 x 429 of capacity 20: U = 0.9, good = 0.5, f429 = 0.5
    expect(busy.period_score).toBeCloseTo(0.5 * (1 - 0.5 * 0.9), 12);
    expect(CONTENDERS).toHaveLength(3);
  });

  it.each([
    ["INSERT INTO challenges", 5, "between steps, after five challenges were logged"],
    ["INSERT INTO results", 4, "inside recordResult's transaction, after the result row and before its counters"],
    ["UPDATE contenders SET total", 7, "inside recordResult's transaction, after the counters and before the EMA"],
    ["INSERT INTO period_history", 2, "inside the period-close transaction, after two of three history rows"],
  ])("killed at %s #%d (%s)", async (marker, nth) => {
    const file = fresh();
    const killed = await tsx("crash-child.ts", [file, marker, String(nth)]).then(
      () => false,
      (e: { signal?: string }) => e.signal === "SIGKILL",
    );
    expect(killed).toBe(true);
    const after = snapshot(file);
    // the kill left the cycle unfinished: the period is still open and nothing half-written is visible
    expect(after.periods).toEqual([{ id: PERIOD, started_at: 1_000, ends_at: 601_000, closed: 0 }]);
    expect(after.history).toEqual([]);
    if (marker === "INSERT INTO period_history") expect(after.results).toHaveLength(12);
    else expect(after.results.length).toBeLessThan(12);
    const counted = (after.contenders as { total: number }[]).reduce((a, c) => a + c.total, 0);
    expect(counted).toBe(after.results.length);
    const state = openValidatorState(file);
    expect(state.openPeriods().map((p) => p.id)).toEqual([PERIOD]);
    runCycle(state); // resume: the same cycle from the top
    runCycle(state); // and a second restart changes nothing either
    state.close();
    expect(snapshot(file)).toEqual(expected);
  });
});
