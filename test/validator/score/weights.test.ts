// Speed factor (sn19-mechanism.md §4 [N6] relative speed) and weights (SN19 §5 + subnet §4.7 top fraction
// and tier split).
import { describe, expect, it } from "vitest";
import { computeWeights, speedBonuses, speedMetric, type ContenderScore } from "../../../ts/validator/score/index.js";

describe("SN19 §4 [N6]: speed = 30th percentile of q x work / time, rank bonus 0.5 (0.5 - r / (N - 1))", () => {
  it("takes index floor(0.3 n) of the ascending list, with quality multiplied in", () => {
    const rs = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((w) => ({ quality: 1, work: w * 100, seconds: 1 }));
    expect(speedMetric(rs)).toBe(400); // floor(0.3 * 10) = 3
    expect(speedMetric([{ quality: 0, work: 1e6, seconds: 0.1 }])).toBe(0); // bad answers add no speed
    expect(speedMetric([])).toBeNull();
  });
  it("gives +0.25 to the best, -0.25 to the worst, linear between; ties share the better rank", () => {
    const b = speedBonuses(new Map([["a", 30], ["b", 20], ["c", 10]]));
    expect(b.get("a")).toBeCloseTo(0.25, 12);
    expect(b.get("b")).toBeCloseTo(0, 12);
    expect(b.get("c")).toBeCloseTo(-0.25, 12);
    const t = speedBonuses(new Map([["a", 5], ["b", 5], ["c", null]]));
    expect(t.get("a")).toBeCloseTo(0.25, 12);
    expect(t.get("b")).toBeCloseTo(0.25, 12);
    expect(t.get("c")).toBeCloseTo(-0.25, 12);
    expect(speedBonuses(new Map([["solo", 9]])).get("solo")).toBe(0);
  });
});

const c = (uid: number, tier: string, quality: number, extra: Partial<ContenderScore> = {}): ContenderScore => ({
  uid,
  hotkey: `hk${uid}`,
  tier,
  quality,
  reliability: 1,
  capacity: 10,
  speedMetric: 1,
  ...extra,
});

describe("SN19 §5 + subnet §4.7: weights", () => {
  it("gives emission only to the top 30% of a tier (at least one contender)", () => {
    const list = Array.from({ length: 10 }, (_, i) => c(i, "research", (i + 1) / 10));
    const { weights } = computeWeights(list, { research: { incentive: 1 } });
    expect([...weights.keys()]).toEqual([7, 8, 9]);
    expect(weights.get(9)! / weights.get(7)!).toBeCloseTo(1.0 / 0.8, 12); // equal speed metric -> equal bonus
    expect([...weights.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    const two = computeWeights([c(1, "research", 0.9), c(2, "research", 0.5)], { research: { incentive: 1 } }).weights;
    expect([...two.keys()]).toEqual([1]);
  });

  it("value = quality (1 + speed bonus) x P x capacity", () => {
    const list = [c(1, "t", 0.5, { speedMetric: 10, reliability: 0.8, capacity: 20 }), c(2, "t", 0.5, { speedMetric: 5, reliability: 1, capacity: 10 })];
    const r = computeWeights(list, { t: { incentive: 1 } }, { topFraction: 1, capacityExponent: 1, shareExponent: 1, speed: { percentile: 0.3, maxBonus: 0.25 } });
    const v1 = 0.5 * 1.25 * 0.8 * 20;
    const v2 = 0.5 * 0.75 * 1 * 10;
    expect(r.contenders.find((d) => d.uid === 1)!.value).toBeCloseTo(v1, 12);
    expect(r.weights.get(1)!).toBeCloseTo(v1 / (v1 + v2), 12);
    // capacity exponent 0 ignores declared capacity
    const r0 = computeWeights(list, { t: { incentive: 1 } }, { topFraction: 1, capacityExponent: 0, shareExponent: 1, speed: { percentile: 0.3, maxBonus: 0.25 } });
    expect(r0.weights.get(1)!).toBeCloseTo((0.5 * 1.25 * 0.8) / (0.5 * 1.25 * 0.8 + 0.5 * 0.75), 12);
  });

  it("splits by tier incentive after normalising inside each tier", () => {
    const list = [c(1, "a", 0.9), c(2, "a", 0.3), c(3, "b", 0.2), c(4, "b", 0.2)];
    const cfg = { topFraction: 1, capacityExponent: 1, shareExponent: 1, speed: { percentile: 0.3, maxBonus: 0 } };
    const w = computeWeights(list, { a: { incentive: 0.6 }, b: { incentive: 0.4 } }, cfg).weights;
    expect(w.get(1)!).toBeCloseTo(0.6 * 0.75, 12);
    expect(w.get(2)!).toBeCloseTo(0.6 * 0.25, 12);
    expect(w.get(3)!).toBeCloseTo(0.2, 12);
    // a miner in two tiers collects from both
    const both = computeWeights([c(1, "a", 0.5), c(1, "b", 0.5), c(2, "b", 0.5)], { a: { incentive: 0.5 }, b: { incentive: 0.5 } }, cfg).weights;
    expect(both.get(1)!).toBeCloseTo(0.75, 12);
    expect(both.get(2)!).toBeCloseTo(0.25, 12);
  });

  it("gives nothing to tiers at 0 incentive, contenders without reliability, or zero quality", () => {
    const cfg = { topFraction: 1, capacityExponent: 1, shareExponent: 1, speed: { percentile: 0.3, maxBonus: 0.25 } };
    const w = computeWeights(
      [c(1, "a", 0.9), c(2, "off", 0.9), c(3, "a", 0.9, { reliability: 0 }), c(4, "a", 0, { speedMetric: 100 })],
      { a: { incentive: 0.5 }, off: { incentive: 0 } },
      cfg,
    ).weights;
    expect([...w.keys()]).toEqual([1]);
    expect(w.get(1)).toBeCloseTo(1, 12);
    expect(computeWeights([c(1, "a", 0)], { a: { incentive: 1 } }).weights.size).toBe(0);
  });

  it("the share exponent sharpens the split (SN19 [N6] uses 4)", () => {
    const list = [c(1, "a", 0.8), c(2, "a", 0.4)];
    const w = computeWeights(list, { a: { incentive: 1 } }, { topFraction: 1, capacityExponent: 1, shareExponent: 4, speed: { percentile: 0.3, maxBonus: 0 } }).weights;
    expect(w.get(1)!).toBeCloseTo(16 / 17, 12);
  });

  it("breaks value ties at the top cut by uid, so every validator cuts the same way", () => {
    const list = [c(5, "a", 0.5), c(3, "a", 0.5), c(4, "a", 0.5)];
    const w = computeWeights(list, { a: { incentive: 1 } }, { topFraction: 0.3, capacityExponent: 1, shareExponent: 1, speed: { percentile: 0.3, maxBonus: 0.25 } }).weights;
    expect([...w.keys()]).toEqual([3]);
  });
});
