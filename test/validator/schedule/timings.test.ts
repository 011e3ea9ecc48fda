// Stage timings of a query: the summary that names the slowest stage (what the localnet benchmark prints),
// the clock that fills them, and the results.timings_json column (migration 3) that keeps them.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { QUERY_STAGES, StageClock, summarizeStages } from "../../../ts/validator/schedule/timings.js";
import { migrate, MIGRATIONS, openValidatorState } from "../../../ts/validator/state/index.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "condense-timings-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("summarizeStages", () => {
  const rows = [
    { challenge: 10, miner: 100 },
    { challenge: 30, miner: 300, download: 5 },
    { challenge: 20, miner: 200, download: 7, extra: 1 },
  ];

  it("counts, averages and ranks each stage over the queries that reached it", () => {
    const s = summarizeStages(rows);
    const by = new Map(s.stages.map((x) => [x.stage, x]));
    const all = rows.flatMap((r) => Object.values(r)).reduce((a, b) => a + b, 0);
    expect(by.get("challenge")).toMatchObject({ n: 3, total_ms: 10 + 30 + 20, mean_ms: (10 + 30 + 20) / 3, p50_ms: 20, p95_ms: 30 });
    expect(by.get("download")).toMatchObject({ n: 2, total_ms: 12, mean_ms: 6 });
    expect(by.get("miner")!.share).toBeCloseTo(600 / all, 12);
    // Stages never reached are listed with n 0, in the query's order; unknown ones come after.
    expect(s.stages.map((x) => x.stage)).toEqual([...QUERY_STAGES, "extra"]);
    expect(by.get("score")).toMatchObject({ n: 0, total_ms: 0, share: 0 });
    expect(s.stages.reduce((a, x) => a + x.share, 0)).toBeCloseTo(1, 12);
    expect(s.slowest).toBe("miner");
  });

  it("names another stage when it holds more of the time", () => {
    const s = summarizeStages([...rows, { evaluate: 10_000 }]);
    expect(s.slowest).toBe("evaluate");
  });

  it("has no slowest stage without timings", () => {
    expect(summarizeStages([]).slowest).toBeNull();
    expect(summarizeStages([{}]).stages.every((x) => x.n === 0)).toBe(true);
  });

  it("refuses values that are not durations", () => {
    expect(() => summarizeStages([{ miner: -1 }])).toThrow(/miner/);
    expect(() => summarizeStages([{ verify: Number.NaN }])).toThrow(/verify/);
  });
});

describe("StageClock", () => {
  it("records only the stages it marked, each as a non-negative duration", () => {
    const c = new StageClock();
    c.mark("challenge");
    c.skip();
    c.mark("miner");
    c.mark("miner");
    expect(Object.keys(c.timings).sort()).toEqual(["challenge", "miner"]);
    for (const v of Object.values(c.timings)) expect(v).toBeGreaterThanOrEqual(0);
  });
});

describe("results.timings_json (migration 3)", () => {
  const seed = (file: string) => {
    const s = openValidatorState(file);
    s.openPeriod(1, 0, 1_000_000);
    s.upsertContenders(1, [{ hotkey: "hk", tier: "research", uid: 3, declaredCapacity: 10, budget: 10, capacity: 10, testShare: 0.5, planned: 2 }]);
    for (const id of ["a", "b"])
      s.logChallenge({ id, periodId: 1, hotkey: "hk", tier: "research", uid: 3, origin: "synthetic", kind: "needle_single", seed: id, params: {}, groundTruth: {}, contextSha256: "00".repeat(32), fullAccuracy: 1, scheduledAt: 0 });
    return s;
  };

  it("keeps a result's stage timings and lists only results that have them", () => {
    const s = seed(path.join(dir, "t1.db"));
    s.recordResult({ challengeId: "a", outcome: "ok", score: 0.5, timings: { challenge: 12.5, miner: 300, download: 4 } });
    s.recordResult({ challengeId: "b", outcome: "failed", score: 0 });
    expect(s.resultTimings(1)).toEqual([{ hotkey: "hk", tier: "research", outcome: "ok", timings: { challenge: 12.5, miner: 300, download: 4 } }]);
    expect(s.resultTimings(2)).toEqual([]);
    s.close();
  });

  it("adds the column to a database made before it, leaving old rows without timings", () => {
    const file = path.join(dir, "t2.db");
    const old = new Database(file);
    migrate(old, MIGRATIONS.filter((m) => m.version < 3));
    old.exec("INSERT INTO periods (id, started_at, ends_at) VALUES (1, 0, 1000000)");
    old.exec("INSERT INTO contenders (period_id, hotkey, tier, uid, declared_capacity, budget, capacity, test_share, planned) VALUES (1, 'hk', 'research', 3, 10, 10, 10, 0.5, 2)");
    old.exec("INSERT INTO challenges (id, period_id, hotkey, tier, uid, origin, kind, seed, params_json, ground_truth_json, context_sha256, scheduled_at, created_at) VALUES ('old', 1, 'hk', 'research', 3, 'synthetic', 'needle', 's', '{}', '{}', 'x', 0, 0)");
    old.exec("INSERT INTO results (challenge_id, period_id, hotkey, tier, outcome, score, recorded_at) VALUES ('old', 1, 'hk', 'research', 'ok', 1, 0)");
    old.close();
    const s = openValidatorState(file);
    expect(s.schemaVersion()).toBe(MIGRATIONS[MIGRATIONS.length - 1]!.version);
    expect((s.db.prepare("SELECT timings_json FROM results WHERE challenge_id = 'old'").get() as { timings_json: unknown }).timings_json).toBeNull();
    expect(s.resultTimings()).toEqual([]);
    s.close();
  });
});
