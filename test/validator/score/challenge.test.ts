// Per-challenge score, from neural-condense-subnet spec §4.5 (existence, accuracy) and §4.7 (s, EMA).
import { describe, expect, it } from "vitest";
import {
  challengeAccuracy,
  challengeScore,
  compressionBonus,
  emaUpdate,
  existenceScore,
  scoreChallenge,
  shareOfFull,
} from "../../../ts/validator/score/index.js";

const T = true;
const F = false;

describe("spec §4.5 step 3: existence check", () => {
  it("is 0 unless at least one positive and one negative chunk are right", () => {
    expect(existenceScore([F, F], [T, T])).toBe(0);
    expect(existenceScore([T, T], [F, F])).toBe(0);
  });
  it("is otherwise the mean of the four results", () => {
    expect(existenceScore([T, F], [T, F])).toBe(0.5);
    expect(existenceScore([T, T], [T, F])).toBe(0.75);
    expect(existenceScore([T, T], [T, T])).toBe(1);
  });
});

describe("spec §4.5 step 6: accuracy = existence x mean(judge correct)", () => {
  it("multiplies existence by the share of correct answers", () => {
    expect(challengeAccuracy({ positives: [T, T], negatives: [T, F], answers: [T, T, F, F, T] })).toBeCloseTo(0.75 * 0.6, 12);
  });
  it("zeroes the challenge when existence <= 0.1 (the gate), whatever the answers", () => {
    expect(challengeAccuracy({ positives: [F, F], negatives: [T, T], answers: [T, T, T, T, T] })).toBe(0);
    expect(challengeAccuracy({ positives: [T, F], negatives: [T, F], answers: [T] }, { existenceGate: 0.5 })).toBe(0);
    expect(challengeAccuracy({ positives: [T, F], negatives: [T, F], answers: [T] }, { existenceGate: 0.49 })).toBe(0.5);
  });
});

describe("spec §4.7: s = (acc (1 - alpha) + c alpha) [acc > 0]", () => {
  it("research bonus c = 1 - T / max_condensed_tokens; universal c = 1 - kept / original", () => {
    expect(compressionBonus({ keptTokens: 384, originalTokens: 3000, maxCondensedTokens: 1536 })).toBeCloseTo(0.75, 12);
    expect(compressionBonus({ keptTokens: 300, originalTokens: 3000, maxCondensedTokens: 1536 }, "ratio")).toBeCloseTo(0.9, 12);
    expect(compressionBonus({ keptTokens: 5000, originalTokens: 3000, maxCondensedTokens: 1536 })).toBe(0);
  });
  it("weights accuracy by 1 - alpha and the bonus by alpha (the tier's accelerate scalar)", () => {
    expect(challengeScore(0.8, 0.75, 0.1)).toBeCloseTo(0.8 * 0.9 + 0.75 * 0.1, 12);
    expect(challengeScore(0.8, 0.75, 0.2)).toBeCloseTo(0.8 * 0.8 + 0.75 * 0.2, 12);
  });
  it("gives no bonus without accuracy: a tiny cache that answers nothing scores 0", () => {
    expect(challengeScore(0, 1, 0.1)).toBe(0);
  });
});

describe("spec §4.7: EMA score <- max(0, 0.9 score + 0.1 s)", () => {
  it("moves a tenth of the way to each new score, starting from 0", () => {
    let s = 0;
    s = emaUpdate(s, 1);
    expect(s).toBeCloseTo(0.1, 12);
    s = emaUpdate(s, 1);
    expect(s).toBeCloseTo(0.19, 12);
    s = emaUpdate(s, 0); // a refused or missing answer counts as 0
    expect(s).toBeCloseTo(0.171, 12);
  });
  it("takes the weight from config", () => {
    expect(emaUpdate(0.5, 1, 0.5)).toBeCloseTo(0.75, 12);
  });
});

describe("score records carry the full cache's accuracy on the same kind", () => {
  it("computes the share of full, null when full is unknown or 0", () => {
    expect(shareOfFull(0.6, 0.8)).toBeCloseTo(0.75, 12);
    expect(shareOfFull(0.6, null)).toBeNull();
    expect(shareOfFull(0.6, 0)).toBeNull();
  });
  it("scoreChallenge chains the spec's steps into one stored record", () => {
    const r = scoreChallenge({
      challengeId: "c1",
      kind: "needle",
      positives: [T, T],
      negatives: [T, T],
      answers: [T, F],
      keptTokens: 768,
      originalTokens: 3000,
      maxCondensedTokens: 1536,
      accelerate: 0.1,
      fullAccuracy: 1,
    });
    expect(r.accuracy).toBe(0.5);
    expect(r.compressionBonus).toBe(0.5);
    expect(r.score).toBeCloseTo(0.5 * 0.9 + 0.5 * 0.1, 12);
    expect(r.shareOfFull).toBe(0.5);
  });
});
