// From the database to weights: the inputs computeWeights gets after a closed period, checked against the
// formulas (subnet §4.7 EMA, SN19 §3-§5), and the resulting ranking honest > busy > refused.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { computeWeights, periodScore } from "../../../ts/validator/score/index.js";
import { contenderScoresFromState, openValidatorState } from "../../../ts/validator/state/index.js";
import { runCycle } from "./fixtures/cycle.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "condense-wi-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("weight inputs from state", () => {
  it("is empty before any period has closed", () => {
    const s = openValidatorState(path.join(dir, "empty.db"));
    s.openPeriod(1, 0, 1);
    expect(contenderScoresFromState(s)).toEqual([]);
    s.close();
  });

  it("carries EMA quality, decayed reliability, capacity and speed per contender, and ranks honest > busy > bad", () => {
    const s = openValidatorState(path.join(dir, "cycle.db"));
    runCycle(s);
    const inputs = contenderScoresFromState(s);
    const by = Object.fromEntries(inputs.map((c) => [c.hotkey, c]));
    // honest: four ok results 0.5, 0.6, 0.7, 0.8 through the EMA from 0
    let ema = 0;
    for (const x of [0.5, 0.6, 0.7, 0.8]) ema = 0.9 * ema + 0.1 * x;
    expect(by["hk-honest"]!.quality).toBeCloseTo(ema, 12);
    // one period scored 1, consumed 4, new-contender factor 0.25
    expect(by["hk-honest"]!.reliability).toBeCloseTo(0.25, 12);
    expect(by["hk-honest"]!.capacity).toBe(20);
    // 2048 tokens in 1.5 s at quality 0.5..0.8: the 30th percentile of q x work / s is index 1 -> 0.6
    expect(by["hk-honest"]!.speedMetric).toBeCloseTo((0.6 * 2048) / 1.5, 9);
    // busy: two 429s leave the EMA alone; its period score is the formula's
    expect(by["hk-busy"]!.quality).toBeCloseTo(0.9 * 0.04 + 0.04, 12);
    expect(by["hk-busy"]!.reliability).toBeCloseTo(0.25 * periodScore({ capacity: 20, consumed: 2, total: 4, n429: 2, n5xx: 0 })!, 12);
    expect(by["hk-busy"]!.speedMetric).toBeNull();
    expect(by["hk-bad"]!.quality).toBe(0);
    expect(by["hk-bad"]!.reliability).toBe(0);
    const { weights, contenders } = computeWeights(inputs, { research: { incentive: 1 } }, { topFraction: 1, capacityExponent: 1, shareExponent: 1, speed: { percentile: 0.3, maxBonus: 0.25 } });
    const value = Object.fromEntries(contenders.map((c) => [c.hotkey, c.value]));
    expect(value["hk-honest"]!).toBeGreaterThan(value["hk-busy"]!);
    expect(value["hk-busy"]!).toBeGreaterThan(0);
    expect(weights.get(3)).toBeUndefined();
    expect(weights.get(1)!).toBeGreaterThan(weights.get(2)!);
    s.close();
  });
});
