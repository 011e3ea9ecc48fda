// Cross-check against the real Python SDK (bittensor 10.5.0 in .venv-bt, installed by
// scripts/setup.d/20-bittensor-sdk.sh): the golden inputs go through the SDK's own weight_utils and our
// functions, and must agree. Float32 arithmetic in numpy (normalize_max_weight on float32 arrays) allows
// 1e-6 on shaped weights and 1 on the emitted u16 there; conversion and hashes must match exactly.
import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { convertWeightsForEmit, processWeightsForNetuid } from "../../ts/chain/weights.js";
import { commitHash } from "../../ts/chain/commit.js";
import { GOLDEN_DIR, loadGolden } from "./golden.js";

const PY = fileURLToPath(new URL("../../.venv-bt/bin/python", import.meta.url));

interface SdkOut {
  sdk: string;
  convert: Array<{ uids: number[]; values: number[] }>;
  process: Array<{ uids: number[]; weights: number[]; emit_uids: number[]; emit_values: number[] }>;
  commit: string[];
}
type W = {
  convert: Array<{ uids: number[]; weights: number[] }>;
  process: Array<{ uids: number[]; weights: number[]; n: number; min_allowed_weights: number; max_weights_limit: number; exclude_quantile: number }>;
};
type C = { cases: Array<{ hotkey: string; netuid: number; mecid: number; uids: number[]; values: number[]; salt: number[]; version_key: string }> };

let sdk: SdkOut;
beforeAll(() => {
  if (!existsSync(PY)) throw new Error(`${PY} missing: run scripts/setup.d/20-bittensor-sdk.sh (bittensor 10.5.0)`);
  const dir = mkdtempSync(join(tmpdir(), "sdk-"));
  try {
    execFileSync(PY, ["-B", `${GOLDEN_DIR}chain_sdk_check.py`, join(dir, "out.json")], { stdio: "pipe", timeout: 120_000 });
    sdk = JSON.parse(readFileSync(join(dir, "out.json"), "utf8")) as SdkOut;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

describe("agreement with the bittensor SDK", () => {
  it("uses the pinned SDK", () => {
    expect(sdk.sdk).toBe("10.5.0");
  });
  it("convert_and_normalize_weights_and_uids: identical u16 vectors", () => {
    const w = loadGolden<W>("chain_weights");
    expect(sdk.convert.length).toBe(w.convert.length);
    w.convert.forEach((c, i) => expect(convertWeightsForEmit(c.uids, c.weights)).toEqual(sdk.convert[i]));
  });
  it("process_weights: same uids, weights within float32 noise", () => {
    const w = loadGolden<W>("chain_weights");
    w.process.forEach((c, i) => {
      const ours = processWeightsForNetuid({
        uids: c.uids,
        weights: c.weights,
        n: c.n,
        minAllowedWeights: c.min_allowed_weights,
        maxWeightsLimit: c.max_weights_limit,
        excludeQuantile: c.exclude_quantile,
      });
      const theirs = sdk.process[i]!;
      expect(ours.uids).toEqual(theirs.uids);
      ours.weights.forEach((x, j) => expect(Math.abs(x - theirs.weights[j]!)).toBeLessThan(1e-6));
      const emit = convertWeightsForEmit(ours.uids, ours.weights);
      expect(emit.uids).toEqual(theirs.emit_uids);
      emit.values.forEach((v, j) => expect(Math.abs(v - theirs.emit_values[j]!)).toBeLessThanOrEqual(1));
    });
  });
  it("generate_weight_hash: identical commit hashes", () => {
    const c = loadGolden<C>("chain_commit");
    c.cases.forEach((x, i) => expect(commitHash({ ...x, versionKey: BigInt(x.version_key) })).toBe(sdk.commit[i]));
  });
});
