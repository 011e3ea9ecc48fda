import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { SEED_TIERS, TierConfigError, UnknownTierError, getTier, loadTierTable, parseTierTable } from "../../ts/subnet/index.js";

const repoFile = path.resolve(import.meta.dirname, "../../config/tiers.json");

describe("tier table", () => {
  it("config/tiers.json is valid and equal to the built-in seed table", () => {
    expect(loadTierTable(repoFile)).toEqual(SEED_TIERS);
  });

  it("the seed table has the subnet's research / inference_0 / inference_1 values", () => {
    const t = loadTierTable();
    expect(Object.keys(t.tiers)).toEqual(["research", "inference_0", "inference_1"]);
    expect(t.tiers.research!.max_context_length_in_chars).toBe(10000);
    expect(t.tiers.inference_0!.max_context_length_in_chars).toBe(15000);
    expect(t.tiers.inference_1!.max_context_length_in_chars).toBe(20000);
    expect(Object.values(t.tiers).map((x) => x.incentive_percentage)).toEqual([1, 0, 0]);
    for (const x of Object.values(t.tiers)) expect(x.supporting_models).toEqual(["mistralai/Mistral-7B-Instruct-v0.2"]);
    expect(t.tiers.research!.requests_per_epoch).toBe(256);
    expect(t.tiers.inference_1!.max_condensed_tokens).toBe(2048);
    expect(t.scoring_period_s).toBe(600);
  });

  it("loadTierTable returns a copy: changing it does not change the seed", () => {
    const t = loadTierTable();
    t.tiers.research!.timeout_s = 1;
    expect(SEED_TIERS.tiers.research!.timeout_s).toBe(32);
  });

  it("errors name the file and the field", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "tiers-"));
    try {
      const bad = structuredClone(JSON.parse(readFileSync(repoFile, "utf8")));
      bad.tiers.research.min_condensed_tokens = 5000;
      bad.tiers.research.timeout_s = -1;
      const f = path.join(dir, "t.json");
      await writeFile(f, JSON.stringify(bad));
      const err = (() => {
        try {
          loadTierTable(f);
        } catch (e) {
          return e as TierConfigError;
        }
      })();
      expect(err).toBeInstanceOf(TierConfigError);
      expect(err!.message).toContain(f);
      expect(err!.message).toContain("tiers.research.timeout_s");
      expect(err!.message).toContain("min_condensed_tokens must not exceed max_condensed_tokens");
      await writeFile(f, "{not json");
      expect(() => loadTierTable(f)).toThrow(/not valid JSON/);
      expect(() => loadTierTable(path.join(dir, "missing.json"))).toThrow(/cannot read tier table/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rejects unknown fields, bad tier names, empty tables and incentives above 100%", () => {
    const base = structuredClone(SEED_TIERS);
    expect(() => parseTierTable({ ...base, tiers: { research: { ...base.tiers.research, extra: 1 } } })).toThrow(/extra|Unrecognized/);
    expect(() => parseTierTable({ ...base, tiers: { "Bad Name": base.tiers.research } })).toThrow(/tier names/);
    expect(() => parseTierTable({ tiers: {} })).toThrow(/at least one tier/);
    const over = structuredClone(base);
    over.tiers.inference_0!.incentive_percentage = 0.5;
    expect(() => parseTierTable(over)).toThrow(/more than 1/);
  });

  it("getTier finds a tier or names the known ones", () => {
    expect(getTier(SEED_TIERS, "research").timeout_s).toBe(32);
    expect(() => getTier(SEED_TIERS, "universal")).toThrow(UnknownTierError);
    expect(() => getTier(SEED_TIERS, "universal")).toThrow(/research, inference_0, inference_1/);
  });
});
