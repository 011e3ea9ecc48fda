// The rules both roles obey (ts/subnet): a context's length, the budget formula, aliases and legacy
// bounds in the tier table, and the Metadata parser facing a hostile miner.
import { describe, expect, it } from "vitest";
import { MetadataParseError, SEED_TIERS, canonicalModel, charLength, parseMinerMetadata, parseTierTable, validatorBudgets } from "../../ts/subnet/index.js";

describe("charLength", () => {
  it("counts code points as Python's len() does", () => {
    expect(charLength("abc")).toBe(3);
    expect(charLength("😀".repeat(5))).toBe(5);
    expect(charLength("\ud83d")).toBe(1); // a lone surrogate is one code point
    expect(charLength("a\udc00b")).toBe(3);
  });
});

describe("validatorBudgets", () => {
  it("splits RPE by stake over all admitted validators, floor and capacity applied", () => {
    const b = validatorBudgets(new Map([["A", 90], ["B", 10], ["C", 0]]), { requestsPerEpoch: 256, capacity: 200, floor: 10 });
    expect(Object.fromEntries(b)).toEqual({ A: 200, B: 25, C: 10 });
  });
});

describe("tier table: aliases and legacy bounds", () => {
  it("the seed table serves the subnet v0.0.3 model id and bounds", () => {
    expect(canonicalModel(SEED_TIERS, "Condense-AI/Mistral-7B-Instruct-v0.2")).toBe("mistralai/Mistral-7B-Instruct-v0.2");
    expect(canonicalModel(SEED_TIERS, "other/model")).toBe("other/model");
    expect(canonicalModel(SEED_TIERS, "__proto__")).toBe("__proto__");
    expect(SEED_TIERS.tiers.research!.legacy).toEqual({ max_context_length_in_chars: 15000, max_condensed_tokens: 1536 });
  });
  it("an alias must point at a supporting model; legacy bounds are validated", () => {
    const t = structuredClone(SEED_TIERS);
    expect(() => parseTierTable({ ...t, model_aliases: { x: "not/served" } })).toThrow(/alias/);
    const bad = structuredClone(t);
    bad.tiers.research!.legacy = { max_context_length_in_chars: 15000, max_condensed_tokens: 64 };
    expect(() => parseTierTable(bad)).toThrow(/legacy/);
  });
});

describe("parseMinerMetadata", () => {
  it("accepts a legacy subnet miner's reply (tier only) and ignores unknown keys", () => {
    expect(parseMinerMetadata({ tier: "research", extra: [1, 2] })).toEqual({ tier: "research" });
  });
  it("refuses what a hostile miner may send", () => {
    const many = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`t${i}`, { capacity: 1, budget: 1, used: 0 }]));
    for (const raw of [
      null,
      "research",
      { tiers: many },
      { tiers: { research: { capacity: -1, budget: 1, used: 0 } } },
      { tiers: { research: { capacity: 1.5, budget: 1, used: 0 } } },
      { tiers: { research: { capacity: 1e300, budget: 1, used: 0 } } },
      { tiers: { "Bad Name!": { capacity: 1, budget: 1, used: 0 } } },
      { tier: "x".repeat(1000) },
      { target_models: Array.from({ length: 100 }, () => "m") },
    ])
      expect(() => parseMinerMetadata(raw), JSON.stringify(raw).slice(0, 60)).toThrow(MetadataParseError);
  });
});
