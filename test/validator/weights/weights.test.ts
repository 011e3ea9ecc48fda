// From the state to the chain: the subnet's mode decides plain weights or a hash commit; a commit is kept in
// the database, so a validator restarted before its reveal window still reveals it; the rate limit is obeyed.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { cryptoReady } from "../../../ts/bittensor/signing.js";
import { DevChain } from "../../../ts/chain/devchain.js";
import { openValidatorState, type ValidatorState } from "../../../ts/validator/state/index.js";
import { revealPendingCommits, setPeriodWeights, type WeightsDeps } from "../../../ts/validator/weights/index.js";
import { Keypair } from "../../../ts/wallet/keypair.js";

const NETUID = 4;
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

async function world(params: Parameters<DevChain["createSubnet"]>[1]) {
  await cryptoReady();
  const chain = new DevChain();
  chain.createSubnet(NETUID, params);
  const cold = Keypair.fromUri("//WCold").address;
  const v = Keypair.fromUri("//WValidator");
  const vUid = chain.registerHotkey(NETUID, v.address, cold);
  const miners = ["a", "b"].map((n) => Keypair.fromUri(`//WMiner/${n}`));
  const uids = miners.map((m) => chain.registerHotkey(NETUID, m.address, cold));
  chain.addStake(NETUID, v.address, 1000n * 1_000_000_000n);
  chain.runEpoch(NETUID);
  const dir = mkdtempSync(path.join(os.tmpdir(), "weights-test-"));
  dirs.push(dir);
  const file = path.join(dir, "s.db");
  const state = openValidatorState(file);
  // One closed period in which miner a answered well and b badly.
  state.openPeriod(1, 0, 60_000);
  state.upsertContenders(1, miners.map((m, i) => ({ hotkey: m.address, tier: "research", uid: uids[i]!, declaredCapacity: 10, budget: 10, capacity: 10, testShare: 0.1, planned: 2 })));
  for (const [i, m] of miners.entries())
    for (let k = 0; k < 2; k++) {
      const id = `${i}-${k}`;
      state.logChallenge({ id, periodId: 1, hotkey: m.address, tier: "research", uid: uids[i]!, origin: "synthetic", kind: "needle_single", seed: "1", params: {}, groundTruth: null, contextSha256: "0".repeat(64), fullAccuracy: 1, scheduledAt: 0 });
      state.recordResult({ challengeId: id, outcome: "ok", score: i === 0 ? 0.9 : 0.3, accuracy: i === 0 ? 0.9 : 0.3, seconds: 1, originalTokens: 100 });
    }
  state.closePeriod(1);
  const deps = (s: ValidatorState): WeightsDeps => ({ state: s, chain, signer: v.toKeyringPair(), hotkey: v.address, netuid: NETUID, tiers: { research: { incentive_percentage: 1 } }, weights: { topFraction: 1, capacityExponent: 1, shareExponent: 1, speed: { percentile: 0.3, maxBonus: 0.25 } }, log: pino({ level: "silent" }) });
  return { chain, state, file, deps, vUid, uids };
}

describe("setPeriodWeights", () => {
  it("sets plain weights when commit-reveal is off, ranking by score, and then obeys the rate limit", async () => {
    const { chain, state, deps, vUid, uids } = await world({ commitRevealEnabled: false, weightsRateLimit: 100 });
    const out = await setPeriodWeights(deps(state), 1);
    expect(out).toMatchObject({ status: "submitted", mode: "set" });
    const w = new Map(chain.weightsOf(NETUID, vUid));
    expect(w.get(uids[0]!)!).toBeGreaterThan(w.get(uids[1]!)!);
    const again = await setPeriodWeights(deps(state), 1);
    expect(again).toMatchObject({ status: "skipped", reason: "rate_limited" });
    expect(state.weightsHistory().map((r) => r.status)).toEqual(["computed", "submitted"]);
  });

  it("keeps a hash commit in the database and reveals it after a restart, in its window", async () => {
    const { chain, state, file, deps, vUid, uids } = await world({ commitRevealEnabled: true, commitRevealVersion: 2, weightsRateLimit: 0, tempo: 10 });
    const out = await setPeriodWeights(deps(state), 1);
    expect(out).toMatchObject({ status: "submitted", mode: "commit" });
    expect(state.pendingCommits()).toHaveLength(1);
    expect(chain.weightsOf(NETUID, vUid)).toEqual([]);
    state.close();
    // The validator restarts: a new state handle on the same file, nothing in memory.
    const restarted = openValidatorState(file);
    expect(await revealPendingCommits(deps(restarted))).toMatchObject({ revealed: 0, pending: 1 }); // too early
    chain.advance(11); // into the next epoch: the reveal window
    expect(await revealPendingCommits(deps(restarted))).toMatchObject({ revealed: 1, pending: 0, dropped: 0 });
    expect(restarted.pendingCommits()).toEqual([]);
    const w = new Map(chain.weightsOf(NETUID, vUid));
    expect(w.get(uids[0]!)!).toBeGreaterThan(w.get(uids[1]!)!);
    restarted.close();
  });
});
