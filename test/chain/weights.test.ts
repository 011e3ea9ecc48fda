import { describe, expect, it } from "vitest";
import { ChainError } from "../../ts/chain/errors.js";
import {
  convertWeightsForEmit,
  normalizeMaxWeight,
  processWeightsForNetuid,
  quantileLinear,
  roundHalfEven,
} from "../../ts/chain/weights.js";
import { loadGolden } from "./golden.js";

interface ConvertCase {
  uids: number[];
  weights: number[];
  expect_uids: number[];
  expect_values: number[];
}
interface ProcessCase {
  uids: number[];
  weights: number[];
  n: number;
  min_allowed_weights: number;
  max_weights_limit: number;
  exclude_quantile: number;
  expect_uids: number[];
  expect_weights: number[];
  expect_emit_uids: number[];
  expect_emit_values: number[];
}
const golden = loadGolden<{ convert: ConvertCase[]; process: ProcessCase[] }>("chain_weights");

describe("roundHalfEven", () => {
  it("rounds halves to the even neighbour like Python round()", () => {
    expect([0.5, 1.5, 2.5, 3.5, -0.5, -1.5].map(roundHalfEven)).toEqual([0, 2, 2, 4, 0, -2]);
    expect([2.4999999, 2.5000001, 10922.5, 10923.5].map(roundHalfEven)).toEqual([2, 3, 10922, 10924]);
  });
});

describe("convertWeightsForEmit (golden vectors from chain_weights.py)", () => {
  it("has enough cases to mean something", () => {
    expect(golden.convert.length).toBeGreaterThan(20);
  });
  for (const [i, c] of golden.convert.entries()) {
    it(`case ${i}: ${JSON.stringify(c.weights).slice(0, 60)}`, () => {
      expect(convertWeightsForEmit(c.uids, c.weights)).toEqual({ uids: c.expect_uids, values: c.expect_values });
    });
  }
  it("gives [10922, 65535] for [1, 6] where Math.round would give 10923", () => {
    expect(convertWeightsForEmit([0, 1], [1, 6]).values).toEqual([10922, 65535]);
    expect(Math.round((1 / 6) * 65535)).toBe(10923);
  });
  it("rejects negative, non-finite and mismatched input with typed errors", () => {
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(ChainError);
        return (e as ChainError).code;
      }
      return "no error";
    };
    expect(code(() => convertWeightsForEmit([0, 1], [1, -1]))).toBe("NegativeWeight");
    expect(code(() => convertWeightsForEmit([0], [Number.NaN]))).toBe("InvalidWeight");
    expect(code(() => convertWeightsForEmit([0, 1], [1]))).toBe("WeightVecNotEqualSize");
    expect(code(() => convertWeightsForEmit([70000], [1]))).toBe("InvalidUid");
  });
});

describe("processWeightsForNetuid (golden vectors)", () => {
  for (const [i, c] of golden.process.entries()) {
    it(`case ${i}: n=${c.n} min=${c.min_allowed_weights} limit=${c.max_weights_limit} q=${c.exclude_quantile}`, () => {
      const out = processWeightsForNetuid({
        uids: c.uids,
        weights: c.weights,
        n: c.n,
        minAllowedWeights: c.min_allowed_weights,
        maxWeightsLimit: c.max_weights_limit,
        excludeQuantile: c.exclude_quantile,
      });
      expect(out.uids).toEqual(c.expect_uids);
      expect(out.weights.length).toBe(c.expect_weights.length);
      out.weights.forEach((w, j) => expect(w).toBeCloseTo(c.expect_weights[j]!, 12));
      expect(convertWeightsForEmit(out.uids, out.weights)).toEqual({
        uids: c.expect_emit_uids,
        values: c.expect_emit_values,
      });
    });
  }
});

describe("normalizeMaxWeight and quantileLinear", () => {
  it("caps every weight at the limit and keeps the sum at 1", () => {
    const w = normalizeMaxWeight([10, 1, 1, 1, 1, 1], 0.3);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(Math.max(...w)).toBeLessThanOrEqual(0.3 + 1e-6);
    expect(w[1]).toBeCloseTo(w[2]!, 15);
  });
  it("interpolates like numpy's linear method", () => {
    expect(quantileLinear([1, 2, 3, 4], 0.25)).toBeCloseTo(1.75, 15);
    expect(quantileLinear([1, 2, 3, 4], 0)).toBe(1);
    expect(quantileLinear([1, 2, 3, 4], 1)).toBe(4);
  });
});
