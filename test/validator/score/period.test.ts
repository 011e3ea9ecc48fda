// Reliability, from sn19-mechanism.md §3 (period score, 429 / 5xx penalties) and §4 (running averages).
import { describe, expect, it } from "vitest";
import { decayedPeriodAverage, periodScore } from "../../../ts/validator/score/index.js";

describe("SN19 §3: period = good (1 - f429 U) (1 - f5xx U)^2", () => {
  it("is null when nothing was asked or nothing declared", () => {
    expect(periodScore({ capacity: 100, consumed: 0, total: 0, n429: 0, n5xx: 0 })).toBeNull();
    expect(periodScore({ capacity: 0, consumed: 0, total: 3, n429: 0, n5xx: 0 })).toBeNull();
  });
  it("is 1 for a contender that answered everything", () => {
    expect(periodScore({ capacity: 100, consumed: 8, total: 8, n429: 0, n5xx: 0 })).toBe(1);
  });
  it("charges a 429 through good and through (1 - f429 U)", () => {
    // 10 asked, 2 x 429, 8 ok of capacity 100: U = 0.92, good = 0.8, f429 = 0.2
    const p = periodScore({ capacity: 100, consumed: 8, total: 10, n429: 2, n5xx: 0 })!;
    expect(p).toBeCloseTo(0.8 * (1 - 0.2 * 0.92), 12);
  });
  it("charges a 429 little once the capacity is used up (U -> 0)", () => {
    const p = periodScore({ capacity: 10, consumed: 10, total: 12, n429: 2, n5xx: 0 })!;
    expect(p).toBeCloseTo(10 / 12, 12);
  });
  it("squares the server-error factor ([N6], PR #80); exponent 1 gives [V4]", () => {
    const c = { capacity: 100, consumed: 8, total: 10, n429: 0, n5xx: 2 };
    expect(periodScore(c)!).toBeCloseTo(0.8 * (1 - 0.2 * 0.92) ** 2, 12);
    expect(periodScore(c, { errorExponent: 1 })!).toBeCloseTo(0.8 * (1 - 0.2 * 0.92), 12);
  });
  it("is 0 for a contender that only failed", () => {
    expect(periodScore({ capacity: 100, consumed: 0, total: 5, n429: 0, n5xx: 5 })).toBe(0);
    expect(periodScore({ capacity: 100, consumed: 0, total: 5, n429: 5, n5xx: 0 })).toBe(0);
  });
});

describe("SN19 §4: P = sum ps_i c_i 0.5^i / sum c_i 0.5^i, x 0.25 until more than 8 periods", () => {
  it("weights newer periods and bigger volumes more", () => {
    const h = [
      { score: 1, consumed: 10 },
      { score: 0.5, consumed: 10 },
      { score: 0, consumed: 40 },
    ];
    // weights 10, 5, 10 -> (10 + 2.5 + 0) / 25 = 0.5, times the new-contender factor 0.25
    expect(decayedPeriodAverage(h)).toBeCloseTo(0.5 * 0.25, 12);
  });
  it("skips null periods entirely (they neither weigh nor count)", () => {
    const h = [{ score: null, consumed: 0 }, { score: 0.8, consumed: 5 }];
    expect(decayedPeriodAverage(h)).toBeCloseTo(0.8 * 0.25, 12);
  });
  it("drops the new-contender factor from the 9th scored period on", () => {
    const nine = Array.from({ length: 9 }, () => ({ score: 0.6, consumed: 3 }));
    expect(decayedPeriodAverage(nine)).toBeCloseTo(0.6, 12);
    expect(decayedPeriodAverage(nine.slice(0, 8))).toBeCloseTo(0.6 * 0.25, 12);
  });
  it("is 0 without usable history", () => {
    expect(decayedPeriodAverage([])).toBe(0);
    expect(decayedPeriodAverage([{ score: 0, consumed: 0 }])).toBe(0);
  });
});
