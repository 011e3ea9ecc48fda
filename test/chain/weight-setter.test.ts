import { beforeAll, describe, expect, it } from "vitest";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { DevChain } from "../../ts/chain/devchain.js";
import { revealPending, submitWeights } from "../../ts/chain/weight-setter.js";

let val: KeyringPair;
let miner: KeyringPair;
let cold: KeyringPair;
beforeAll(async () => {
  await cryptoWaitReady();
  const ring = new Keyring({ type: "sr25519", ss58Format: 42 });
  [val, miner, cold] = ["//V", "//M", "//C"].map((u) => ring.addFromUri(u)) as [KeyringPair, KeyringPair, KeyringPair];
});

function chainWith(commitRevealEnabled: boolean, commitRevealVersion = 4): DevChain {
  const c = new DevChain();
  c.createSubnet(3, { tempo: 10, weightsRateLimit: 0, commitRevealEnabled, commitRevealVersion });
  c.registerHotkey(3, val.address, cold.address);
  c.registerHotkey(3, miner.address, cold.address);
  c.addStake(3, val.address, 10n ** 12n);
  c.runEpoch(3);
  return c;
}

const nextEpoch = (c: DevChain) => {
  const e = c.epochOf(3);
  while (c.epochOf(3) === e) c.advance(1);
};

describe("submitWeights / revealPending", () => {
  it("sets weights directly when commit-reveal is off", async () => {
    const c = chainWith(false);
    const s = await submitWeights(c, val, { netuid: 3, uids: [1], weights: [1], versionKey: 0 });
    expect(s.mode).toBe("set");
    expect(c.weightsOf(3, 0)).toEqual([[1, 65535]]);
  });
  it("sends a timelocked commit when commit-reveal is on at version 4 (the chain default); the chain reveals it", async () => {
    const c = chainWith(true);
    const s = await c.submitWeights(val, { netuid: 3, uids: [1], weights: [1], versionKey: 0 });
    if (s.mode !== "timelocked") throw new Error(`expected a timelocked commit, got ${s.mode}`);
    expect(s.commit).toMatchObject({ netuid: 3, uids: [1], values: [65535], commitRevealVersion: 4 });
    expect(c.weightsOf(3, 0)).toEqual([]);
    nextEpoch(c);
    c.drandPulse(s.commit.revealRound);
    c.advance(1);
    expect(c.weightsOf(3, 0)).toEqual([[1, 65535]]);
  });
  it("hash-commits when the chain's commit-reveal version is below 3, keeps the commit until its window, then reveals", async () => {
    const c = chainWith(true, 2);
    const s = await submitWeights(c, val, { netuid: 3, uids: [1], weights: [1], versionKey: 0 });
    if (s.mode !== "commit") throw new Error("expected a commit");
    const early = await revealPending(c, val, [s.commit]);
    expect(early).toMatchObject({ revealed: [], pending: [s.commit], dropped: [] });
    nextEpoch(c);
    const done = await revealPending(c, val, early.pending);
    expect(done.revealed.map((r) => r.commit)).toEqual([s.commit]);
    expect(c.weightsOf(3, 0)).toEqual([[1, 65535]]);
  });
  it("drops commits that can no longer be revealed", async () => {
    const c = chainWith(true, 2);
    const s = await submitWeights(c, val, { netuid: 3, uids: [1], weights: [1], versionKey: 0 });
    if (s.mode !== "commit") throw new Error("expected a commit");
    nextEpoch(c);
    nextEpoch(c);
    const out = await revealPending(c, val, [s.commit]);
    expect(out.dropped).toEqual([{ commit: s.commit, code: "ExpiredWeightCommit" }]);
    expect(out.pending).toEqual([]);
  });
});
