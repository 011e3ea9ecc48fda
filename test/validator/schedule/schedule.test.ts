// The pure cycle parts (sn19-mechanism.md §2; subnet budget rule; issue 10 §3 dial policy).
import { describe, expect, it } from "vitest";
import {
  checkAxon,
  drawTestShare,
  expectedTestShare,
  periodAt,
  planContender,
  scheduleQueries,
  seededRng,
  spreadTimes,
} from "../../../ts/validator/schedule/index.js";

describe("SN19 §2 [N6]: share of declared capacity tested per period", () => {
  it("draws 0.04 / 0.08 / 0.12 / 0.8 with probabilities 0.5 / 0.4 / 0.095 / 0.005 (mean ~0.067)", () => {
    expect(expectedTestShare()).toBeCloseTo(0.04 * 0.5 + 0.08 * 0.4 + 0.12 * 0.095 + 0.8 * 0.005, 12);
    expect(expectedTestShare()).toBeCloseTo(0.0674, 4);
    const rng = seededRng("shares");
    const counts = new Map<number, number>();
    const N = 100_000;
    for (let i = 0; i < N; i++) {
      const m = drawTestShare(rng);
      counts.set(m, (counts.get(m) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual([0.04, 0.08, 0.12, 0.8]);
    expect(counts.get(0.04)! / N).toBeCloseTo(0.5, 1);
    expect(counts.get(0.08)! / N).toBeCloseTo(0.4, 1);
    expect(Math.abs(counts.get(0.12)! / N - 0.095)).toBeLessThan(0.01);
    expect(Math.abs(counts.get(0.8)! / N - 0.005)).toBeLessThan(0.002);
  });
  it("scales by the multiplier (testnet 0.1) and replays from its seed", () => {
    const a = seededRng("p1");
    const b = seededRng("p1");
    const xs = Array.from({ length: 50 }, () => drawTestShare(a, { testShares: [{ share: 0.5, p: 1 }], shareMultiplier: 0.1 }));
    expect(new Set(xs)).toEqual(new Set([0.05]));
    expect(Array.from({ length: 20 }, () => a())).not.toEqual(Array.from({ length: 20 }, () => seededRng("p2")()));
    const c = seededRng("same");
    const d = seededRng("same");
    expect(Array.from({ length: 20 }, () => c())).toEqual(Array.from({ length: 20 }, () => d()));
    expect(b()).toBeGreaterThanOrEqual(0);
  });
});

describe("subnet budget max(int(RPE S_v / sum S), floor) capped by capacity: never exceeded", () => {
  it("plans floor(budget x m) requests, at least one", () => {
    // 10% of stake, RPE 256 -> budget 25; m = 0.08 -> 2 requests
    expect(planContender({ declaredCapacity: 1000, requestsPerEpoch: 256, stake: 10, totalStake: 100, share: 0.08 })).toEqual({ budget: 25, capacity: 25, planned: 2 });
    expect(planContender({ declaredCapacity: 1000, requestsPerEpoch: 256, stake: 10, totalStake: 100, share: 0.01 }).planned).toBe(1);
  });
  it("gives a small validator the floor, and caps the budget by the declared capacity", () => {
    expect(planContender({ declaredCapacity: 1000, requestsPerEpoch: 256, stake: 1, totalStake: 1000, share: 0.8 })).toEqual({ budget: 10, capacity: 10, planned: 8 });
    expect(planContender({ declaredCapacity: 3, requestsPerEpoch: 256, stake: 50, totalStake: 100, share: 0.8 })).toEqual({ budget: 3, capacity: 3, planned: 2 });
    expect(planContender({ declaredCapacity: 0, requestsPerEpoch: 256, stake: 50, totalStake: 100, share: 0.8 }).planned).toBe(0);
  });
  it("never plans past the budget, whatever the share, nor past what the miner reports left", () => {
    const rng = seededRng("budget");
    for (let i = 0; i < 2000; i++) {
      const declared = Math.floor(rng() * 500);
      const stake = Math.floor(rng() * 100);
      const share = rng() * 3;
      const used = Math.floor(rng() * 40);
      const p = planContender({ declaredCapacity: declared, requestsPerEpoch: 256, stake, totalStake: 100, share, reported: { budget: 30, used } });
      expect(p.budget).toBeLessThanOrEqual(declared);
      expect(p.planned).toBeLessThanOrEqual(p.capacity);
      expect(p.capacity).toBeLessThanOrEqual(Math.max(0, Math.min(p.budget, 30) - used));
    }
  });
});

describe("SN19 §2 [N6]: queries spread over the period, interval T / (N + 1)", () => {
  it("places n times inside the period, evenly spaced, the first within the first interval", () => {
    const t = spreadTimes(4, 1_000_000, 600_000, seededRng("t"));
    expect(t).toHaveLength(4);
    const interval = 600_000 / 5;
    expect(t[0]!).toBeGreaterThanOrEqual(1_000_000);
    expect(t[0]!).toBeLessThan(1_000_000 + interval);
    for (let k = 1; k < 4; k++) expect(t[k]! - t[k - 1]!).toBeGreaterThanOrEqual(interval - 1);
    expect(t[3]!).toBeLessThan(1_600_000);
    expect(spreadTimes(0, 0, 600_000, seededRng("t"))).toEqual([]);
  });
  it("merges contenders into one ascending timetable with each contender's count", () => {
    const q = scheduleQueries([{ contender: "a", planned: 3 }, { contender: "b", planned: 5 }, { contender: "c", planned: 0 }], 0, 600_000, seededRng("q"));
    expect(q).toHaveLength(8);
    expect(q.map((x) => x.at)).toEqual([...q.map((x) => x.at)].sort((x, y) => x - y));
    expect(q.filter((x) => x.contender === "b").map((x) => x.index)).toEqual([0, 1, 2, 3, 4]);
    expect(q.every((x) => x.at >= 0 && x.at < 600_000)).toBe(true);
  });
});

describe("issue 10 §3: dial policy for axon addresses from the chain", () => {
  it.each(["127.0.0.1", "10.0.0.5", "169.254.169.254", "100.64.1.1", "fd00::1", "0.0.0.0", "::ffff:127.0.0.1", "::ffff:192.168.0.1", "garbage"])("refuses %s by default", (ip) => {
    const v = checkAxon({ ip, port: 8091 });
    expect(v.ok).toBe(false);
    if (!v.ok) expect(v.code).toBe("AXON_ADDRESS_REFUSED");
  });
  it("dials public addresses, and loopback with allowPrivate; never metadata", () => {
    expect(checkAxon({ ip: "8.8.8.8", port: 8091 })).toMatchObject({ ok: true, url: "http://8.8.8.8:8091" });
    expect(checkAxon({ ip: "2606:4700::1", port: 8091 })).toMatchObject({ ok: true, url: "http://[2606:4700::1]:8091" });
    expect(checkAxon({ ip: "127.0.0.1", port: 8091 }, { allowPrivate: true })).toMatchObject({ ok: true, url: "http://127.0.0.1:8091" });
    expect(checkAxon({ ip: "169.254.169.254", port: 80 }, { allowPrivate: true }).ok).toBe(false);
  });
  it("refuses ports outside 1..65535", () => {
    for (const port of [0, -1, 65536, 1.5, Number.NaN]) expect(checkAxon({ ip: "8.8.8.8", port })).toMatchObject({ ok: false, code: "AXON_PORT_INVALID" });
  });
});

describe("period ids come from the clock", () => {
  it("gives every instant of a period the same id and bounds, so a restart resumes the same period", () => {
    expect(periodAt(1_200_000, 600_000)).toEqual({ id: 2, start: 1_200_000, end: 1_800_000 });
    expect(periodAt(1_799_999, 600_000)).toEqual({ id: 2, start: 1_200_000, end: 1_800_000 });
    expect(periodAt(1_800_000, 600_000).id).toBe(3);
  });
});
