// DevChain rules: one test per error name (the same names subtensor returns), plus the happy paths and the
// epoch that turns weights into incentives.
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import { DevChain } from "../../ts/chain/devchain.js";
import { ChainError, PALLET_ERRORS } from "../../ts/chain/errors.js";
import { ipToInt } from "../../ts/chain/axon-ip.js";
import type { WeightCommit } from "../../ts/chain/types.js";
import type { TimelockedRevealEvent } from "../../ts/chain/devchain.js";
import { encodeTimelockPayload, firstRevealBlock, timelockEncrypt } from "../../ts/chain/timelock.js";

const seen = new Set<string>();

async function expectCode(run: () => unknown, code: string): Promise<void> {
  let caught: unknown;
  try {
    await run();
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected ${code}`).toBeInstanceOf(ChainError);
  expect((caught as ChainError).code).toBe(code);
  if ((caught as ChainError).kind === "module") seen.add(code);
}

let k: Record<"cold" | "cold2" | "val" | "m1" | "m2" | "m3" | "stranger", KeyringPair>;
beforeAll(async () => {
  await cryptoWaitReady();
  const ring = new Keyring({ type: "sr25519", ss58Format: 42 });
  k = {
    cold: ring.addFromUri("//Cold"),
    cold2: ring.addFromUri("//Cold2"),
    val: ring.addFromUri("//Validator"),
    m1: ring.addFromUri("//Miner1"),
    m2: ring.addFromUri("//Miner2"),
    m3: ring.addFromUri("//Miner3"),
    stranger: ring.addFromUri("//Stranger"),
  };
});

const NET = 1;
let chain: DevChain;

/** Subnet 1 with a staked, permitted validator (uid 0) and two miners (uids 1, 2). */
function setup(params: Parameters<DevChain["createSubnet"]>[1] = {}): DevChain {
  const c = new DevChain({ startBlock: 1000 });
  c.createSubnet(NET, { tempo: 10, weightsRateLimit: 5, servingRateLimit: 3, immunityPeriod: 50, ...params });
  c.registerHotkey(NET, k.val.address, k.cold.address);
  c.registerHotkey(NET, k.m1.address, k.cold.address);
  c.registerHotkey(NET, k.m2.address, k.cold.address);
  c.addStake(NET, k.val.address, 1_000_000_000_000n);
  c.runEpoch(NET);
  return c;
}

beforeEach(() => {
  chain = setup();
});

describe("registration", () => {
  it("burned_register charges the burn and returns the uid", async () => {
    chain.fund(k.cold2.address, 5_000_000_000n);
    const res = await chain.burnedRegister(k.cold2, { netuid: NET, hotkey: k.m3.address });
    expect(res.uid).toBe(3);
    expect(res.events).toEqual(["SubtensorModule.NeuronRegistered"]);
    expect(chain.balanceOf(k.cold2.address)).toBe(4_000_000_000n);
    expect(await chain.uidOf(NET, k.m3.address)).toBe(3);
    expect((await chain.metagraph(NET)).coldkeys[3]).toBe(k.cold2.address);
  });
  it("NotEnoughBalanceToStake", () => expectCode(() => chain.burnedRegister(k.cold2, { netuid: NET, hotkey: k.m3.address }), "NotEnoughBalanceToStake"));
  it("HotKeyAlreadyRegisteredInSubNet", () => expectCode(() => chain.registerHotkey(NET, k.m1.address, k.cold.address), "HotKeyAlreadyRegisteredInSubNet"));
  it("SubNetworkDoesNotExist", () => expectCode(() => chain.registerHotkey(9, k.m3.address, k.cold.address), "SubNetworkDoesNotExist"));
  it("SubNetRegistrationDisabled", async () => {
    chain.setSubnetParams(NET, { registrationAllowed: false });
    await expectCode(() => chain.registerHotkey(NET, k.m3.address, k.cold.address), "SubNetRegistrationDisabled");
  });
  it("NonAssociatedColdKey", async () => {
    chain.createSubnet(2);
    await expectCode(() => chain.registerHotkey(2, k.m1.address, k.cold2.address), "NonAssociatedColdKey");
  });
  it("NoNeuronIdAvailable while everyone is immune, pruning afterwards", async () => {
    chain.setSubnetParams(NET, { maxAllowedUids: 3 });
    await expectCode(() => chain.registerHotkey(NET, k.m3.address, k.cold.address), "NoNeuronIdAvailable");
    chain.advance(60);
    const uid = chain.registerHotkey(NET, k.m3.address, k.cold.address);
    expect(uid).toBeGreaterThanOrEqual(0);
    expect((await chain.metagraph(NET)).n).toBe(3);
    expect((await chain.metagraph(NET)).hotkeys[uid]).toBe(k.m3.address);
  });
  it("rejects non-SS58 addresses as input errors", () => expectCode(() => chain.registerHotkey(NET, "nope", k.cold.address), "InvalidAddress"));
});

describe("serve_axon", () => {
  it("publishes the axon and skips an identical re-serve", async () => {
    const r = await chain.serveAxon(k.m1, { netuid: NET, ip: "203.0.113.9", port: 8091, version: 1 });
    expect(r?.events).toEqual(["SubtensorModule.AxonServed"]);
    const axon = (await chain.metagraph(NET)).axons[1]!;
    expect(axon).toMatchObject({ ip: "203.0.113.9", port: 8091, ipType: 4, version: 1, isServing: true, block: 1000 });
    expect(await chain.serveAxon(k.m1, { netuid: NET, ip: "203.0.113.9", port: 8091, version: 1 })).toBeNull();
  });
  it("HotKeyNotRegisteredInNetwork", () => expectCode(() => chain.serveAxon(k.stranger, { netuid: NET, ip: "203.0.113.9", port: 1 }), "HotKeyNotRegisteredInNetwork"));
  it("InvalidIpType", () =>
    expectCode(() => chain.serveAxonRaw(k.m1.address, { netuid: NET, version: 0, ip: 1n << 40n, port: 1, ipType: 5, protocol: 4 }), "InvalidIpType"));
  it("InvalidIpAddress for loopback unless allowLoopback", async () => {
    await expectCode(() => chain.serveAxon(k.m1, { netuid: NET, ip: "127.0.0.1", port: 8091 }), "InvalidIpAddress");
    const local = new DevChain({ allowLoopback: true });
    local.createSubnet(NET);
    local.registerHotkey(NET, k.m1.address, k.cold.address);
    expect(await local.serveAxon(k.m1, { netuid: NET, ip: "127.0.0.1", port: 8091 })).not.toBeNull();
  });
  it("InvalidIpAddress for the unspecified address 0.0.0.0 / :: (subtensor refuses ip 0 for either type)", async () => {
    await expectCode(() => chain.serveAxon(k.m1, { netuid: NET, ip: "0.0.0.0", port: 8091 }), "InvalidIpAddress");
    await expectCode(() => chain.serveAxon(k.m1, { netuid: NET, ip: "::", port: 8091 }), "InvalidIpAddress");
    await expectCode(() => chain.serveAxonRaw(k.m1.address, { netuid: NET, version: 0, ip: 0n, port: 8091, ipType: 6, protocol: 4 }), "InvalidIpAddress");
    const local = new DevChain({ allowLoopback: true });
    local.createSubnet(NET);
    local.registerHotkey(NET, k.m1.address, k.cold.address);
    await expectCode(() => local.serveAxon(k.m1, { netuid: NET, ip: "0.0.0.0", port: 8091 }), "InvalidIpAddress");
  });
  it("InvalidPort", () =>
    expectCode(() => chain.serveAxonRaw(k.m1.address, { netuid: NET, version: 0, ip: ipToInt("10.1.1.1").value, port: 0, ipType: 4, protocol: 4 }), "InvalidPort"));
  it("ServingRateLimitExceeded until servingRateLimit blocks pass", async () => {
    await chain.serveAxon(k.m1, { netuid: NET, ip: "203.0.113.9", port: 8091 });
    await expectCode(() => chain.serveAxon(k.m1, { netuid: NET, ip: "203.0.113.9", port: 8092 }), "ServingRateLimitExceeded");
    chain.advance(3);
    expect(await chain.serveAxon(k.m1, { netuid: NET, ip: "203.0.113.9", port: 8092 })).not.toBeNull();
  });
});

describe("set_weights", () => {
  const w = (uids: number[], weights: number[], versionKey = 0) => ({ netuid: NET, uids, weights, versionKey });

  it("stores max-upscaled u16 weights and updates last_update", async () => {
    const r = await chain.setWeights(k.val, w([1, 2], [1, 6]));
    expect(r.events).toEqual(["SubtensorModule.WeightsSet"]);
    expect(chain.weightsOf(NET, 0)).toEqual([
      [1, 10922],
      [2, 65535],
    ]);
    expect((await chain.metagraph(NET)).lastUpdate[0]).toBe(1000);
  });
  it("CanNotSetRootNetworkWeights", () => expectCode(() => chain.setWeights(k.val, { ...w([1], [1]), netuid: 0 }), "CanNotSetRootNetworkWeights"));
  it("CommitRevealEnabled", async () => {
    chain.setSubnetParams(NET, { commitRevealEnabled: true });
    await expectCode(() => chain.setWeights(k.val, w([1], [1])), "CommitRevealEnabled");
  });
  it("WeightVecNotEqualSize", () =>
    expectCode(() => chain.setWeightsRaw(k.val.address, { netuid: NET, uids: [1, 2], values: [1], versionKey: 0 }), "WeightVecNotEqualSize"));
  it("MechanismDoesNotExist", () => expectCode(() => chain.setWeights(k.val, { ...w([1], [1]), mecid: 1 }), "MechanismDoesNotExist"));
  it("UidsLengthExceedUidsInSubNet", () => expectCode(() => chain.setWeights(k.val, w([0, 1, 2, 3], [1, 1, 1, 1])), "UidsLengthExceedUidsInSubNet"));
  it("HotKeyNotRegisteredInSubNet", () => expectCode(() => chain.setWeights(k.stranger, w([1], [1])), "HotKeyNotRegisteredInSubNet"));
  it("NotEnoughStakeToSetWeights, with the subnet owner exempt", async () => {
    chain.setSubnetParams(NET, { stakeThreshold: 2_000_000_000_000n });
    await expectCode(() => chain.setWeights(k.val, w([1], [1])), "NotEnoughStakeToSetWeights");
    chain.setOwnerHotkey(NET, k.val.address);
    await expect(chain.setWeights(k.val, w([1], [1]))).resolves.toBeTruthy();
  });
  it("IncorrectWeightVersionKey", async () => {
    chain.setSubnetParams(NET, { weightsVersionKey: 40100 });
    expect(await chain.versionKey(NET)).toBe(40100);
    await expectCode(() => chain.setWeights(k.val, w([1], [1], 40099)), "IncorrectWeightVersionKey");
    await expect(chain.setWeights(k.val, w([1], [1], 40100))).resolves.toBeTruthy();
  });
  it("SettingWeightsTooFast until weightsRateLimit blocks pass", async () => {
    await chain.setWeights(k.val, w([1], [1]));
    chain.advance(4);
    await expectCode(() => chain.setWeights(k.val, w([1], [1])), "SettingWeightsTooFast");
    chain.advance(1);
    await expect(chain.setWeights(k.val, w([1], [1]))).resolves.toBeTruthy();
  });
  it("NeuronNoValidatorPermit, except for a single self-weight", async () => {
    await expectCode(() => chain.setWeights(k.m1, w([2], [1])), "NeuronNoValidatorPermit");
    await expect(chain.setWeights(k.m1, w([1], [1]))).resolves.toBeTruthy();
  });
  it("DuplicateUids", () => expectCode(() => chain.setWeights(k.val, w([1, 1], [1, 2])), "DuplicateUids"));
  it("UidVecContainInvalidOne", () => expectCode(() => chain.setWeights(k.val, w([1, 7], [1, 2])), "UidVecContainInvalidOne"));
  it("WeightVecLengthIsLow", async () => {
    chain.setSubnetParams(NET, { minAllowedWeights: 2 });
    await expectCode(() => chain.setWeights(k.val, w([1], [1])), "WeightVecLengthIsLow");
  });
  it("MaxWeightExceeded (largest share of the row above the limit)", async () => {
    chain.setSubnetParams(NET, { maxWeightsLimit: 39321 }); // 0.6
    await expectCode(() => chain.setWeights(k.val, w([1, 2], [0.7, 0.3])), "MaxWeightExceeded");
    await expect(chain.setWeights(k.val, w([1, 2], [0.55, 0.45]))).resolves.toBeTruthy();
  });
});

describe("commit-reveal (hash)", () => {
  beforeEach(() => {
    chain = setup({ commitRevealEnabled: true, revealPeriodEpochs: 1 });
  });
  const params = { netuid: NET, uids: [1, 2], weights: [0.25, 0.75], versionKey: 0 };

  /** Advance until the epoch index changes `n` times. */
  function nextEpochs(n: number) {
    const target = chain.epochOf(NET) + n;
    while (chain.epochOf(NET) < target) chain.advance(1);
  }

  it("commits, reveals in the next epoch, and applies the weights", async () => {
    const c = await chain.commitWeights(k.val, params);
    expect(c.hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(c.values).toEqual([21845, 65535]);
    nextEpochs(1);
    const r = await chain.revealWeights(k.val, c);
    expect(r.events).toEqual(["SubtensorModule.WeightsRevealed"]);
    expect(chain.weightsOf(NET, 0)).toEqual([
      [1, 21845],
      [2, 65535],
    ]);
  });
  it("CommitRevealDisabled", async () => {
    chain.setSubnetParams(NET, { commitRevealEnabled: false });
    await expectCode(() => chain.commitWeights(k.val, params), "CommitRevealDisabled");
  });
  it("CommittingWeightsTooFast", async () => {
    await chain.commitWeights(k.val, params);
    await expectCode(() => chain.commitWeights(k.val, params), "CommittingWeightsTooFast");
  });
  it("TooManyUnrevealedCommits after 10", async () => {
    chain.setSubnetParams(NET, { weightsRateLimit: 0 });
    for (let i = 0; i < 10; i++) await chain.commitWeights(k.val, { ...params, salt: [i] });
    await expectCode(() => chain.commitWeights(k.val, params), "TooManyUnrevealedCommits");
  });
  it("NoWeightsCommitFound", async () => {
    const fake: WeightCommit = { netuid: NET, mecid: 0, hotkey: k.val.address, uids: [1], values: [65535], salt: [1], versionKey: 0, hash: "0x", block: 0 };
    await expectCode(() => chain.revealWeights(k.val, fake), "NoWeightsCommitFound");
  });
  it("RevealTooEarly in the commit's own epoch", async () => {
    const c = await chain.commitWeights(k.val, params);
    await expectCode(() => chain.revealWeights(k.val, c), "RevealTooEarly");
  });
  it("ExpiredWeightCommit after the reveal epoch", async () => {
    const c = await chain.commitWeights(k.val, params);
    nextEpochs(2);
    await expectCode(() => chain.revealWeights(k.val, c), "ExpiredWeightCommit");
  });
  it("InvalidRevealCommitHashNotMatch when the revealed data differ", async () => {
    const c = await chain.commitWeights(k.val, params);
    nextEpochs(1);
    await expectCode(() => chain.revealWeights(k.val, { ...c, values: [65535, 1] }), "InvalidRevealCommitHashNotMatch");
  });
});

describe("epochs, incentives and the clock", () => {
  it("turns stake-weighted weights into incentives, dividends and emission", async () => {
    chain.registerHotkey(NET, k.m3.address, k.cold2.address);
    chain.addStake(NET, k.m3.address, 3_000_000_000_000n); // a second, bigger validator
    chain.runEpoch(NET);
    await chain.setWeights(k.val, { netuid: NET, uids: [1, 2], weights: [1, 0], versionKey: 0 });
    await chain.setWeights(k.m3, { netuid: NET, uids: [1, 2], weights: [0, 1], versionKey: 0 });
    chain.runEpoch(NET);
    const m = await chain.metagraph(NET);
    expect(m.validatorPermits).toEqual([true, false, false, true]);
    // stakes 1000 and 3000 TAO: miner 1 gets 1/4 of the incentive, miner 2 gets 3/4.
    expect(m.incentives[1]).toBeCloseTo(0.25, 4);
    expect(m.incentives[2]).toBeCloseTo(0.75, 4);
    expect(m.incentives[0]).toBe(0);
    expect(m.dividends[0]! + m.dividends[3]!).toBeCloseTo(1, 4);
    expect(m.dividends[3]!).toBeGreaterThan(m.dividends[0]!);
    expect(m.emissions[2]!).toBeGreaterThan(m.emissions[1]!);
    expect(m.emissions[1]!).toBeGreaterThan(0);
  });
  it("grants permits to the top maxAllowedValidators by stake only", async () => {
    chain.setSubnetParams(NET, { maxAllowedValidators: 1 });
    chain.addStake(NET, k.m2.address, 5_000_000_000_000n);
    chain.runEpoch(NET);
    expect((await chain.metagraph(NET)).validatorPermits).toEqual([false, false, true]);
  });
  it("runs the epoch every tempo blocks after the last one (stateful schedule), and at PendingEpochAt", () => {
    const epochs: number[] = [];
    chain.on("epoch", (_n: number, block: number) => epochs.push(block));
    const s0 = chain.epochSchedule(NET);
    chain.advance(22);
    // Created at block 1000 with tempo 10: epochs at 1010 and 1020, the index counts them.
    expect(epochs).toEqual([s0.lastEpochBlock + 10, s0.lastEpochBlock + 20]);
    expect(chain.epochSchedule(NET)).toMatchObject({ lastEpochBlock: 1020, subnetEpochIndex: s0.subnetEpochIndex + 2, blocksSinceLastStep: 2 });
    chain.scheduleEpoch(NET, 1024);
    chain.advance(3);
    expect(epochs.at(-1)).toBe(1024);
    expect(chain.epochSchedule(NET)).toMatchObject({ lastEpochBlock: 1024, pendingEpochAt: 0 });
  });
  it("advances on a timer when started, and stops", async () => {
    vi.useFakeTimers();
    try {
      const c = new DevChain({ blockTimeMs: 100, startBlock: 5 });
      c.start();
      vi.advanceTimersByTime(350);
      expect(await c.currentBlock()).toBe(8);
      await c.close();
      vi.advanceTimersByTime(1000);
      expect(await c.currentBlock()).toBe(8);
    } finally {
      vi.useRealTimers();
    }
  });
  it("when started, drand pulses follow the clock (3 s rounds since quicknet genesis)", async () => {
    vi.useFakeTimers();
    try {
      let now = 1_800_000_000_000;
      const c = new DevChain({ blockTimeMs: 12_000, now: () => now });
      c.start();
      expect(c.latestDrandRound).toBe(Math.floor((now / 1000 - 1_692_803_367) / 3));
      now += 12_000;
      vi.advanceTimersByTime(12_000);
      expect(c.latestDrandRound).toBe(Math.floor((now / 1000 - 1_692_803_367) / 3));
      await c.close();
    } finally {
      vi.useRealTimers();
    }
  });
  it("marks neurons inactive after activityCutoff blocks without an update", async () => {
    chain.setSubnetParams(NET, { activityCutoff: 20, tempo: 1000 });
    await chain.setWeights(k.val, { netuid: NET, uids: [1], weights: [1], versionKey: 0 });
    chain.advance(21);
    expect((await chain.metagraph(NET)).active).toEqual([false, false, false]);
    await chain.setWeights(k.val, { netuid: NET, uids: [1], weights: [1], versionKey: 0 });
    expect((await chain.metagraph(NET)).active).toEqual([true, false, false]);
  });
  it("reports hyperparameters", async () => {
    const h = await chain.hyperparameters(NET);
    expect(h).toMatchObject({ netuid: NET, tempo: 10, subnetworkN: 3, weightsRateLimit: 5, servingRateLimit: 3, commitRevealEnabled: false });
  });
});

describe("timelocked commits (CRv4)", () => {
  const NOW = 1_800_000_000_000; // a wall clock that moves 12 s per block: reveal rounds are reproducible
  let tl: DevChain;
  let reveals: TimelockedRevealEvent[];
  beforeEach(() => {
    let head = 1000;
    tl = new DevChain({ startBlock: 1000, now: () => NOW + (head - 1000) * 12_000 });
    tl.on("block", (b: number) => (head = b));
    tl.createSubnet(NET, { tempo: 10, weightsRateLimit: 5, immunityPeriod: 50, commitRevealEnabled: true });
    tl.registerHotkey(NET, k.val.address, k.cold.address);
    tl.registerHotkey(NET, k.m1.address, k.cold.address);
    tl.registerHotkey(NET, k.m2.address, k.cold.address);
    tl.addStake(NET, k.val.address, 1_000_000_000_000n);
    tl.runEpoch(NET);
    tl.advance(3);
    reveals = [];
    tl.on("timelocked-reveal", (e: TimelockedRevealEvent) => reveals.push(e));
  });
  const params = { netuid: NET, uids: [1, 2], weights: [1, 3], versionKey: 0 };
  /** Advance to the first reveal block of a commit sent now, without running it. */
  const toRevealBlock = () => {
    const at = firstRevealBlock(tl.epochSchedule(NET), 1);
    tl.advance(at - 1 - tl.epochSchedule(NET).currentBlock);
    return at;
  };

  it("reveals in the reveal epoch only once the pulse for its round arrives, and applies the weights", async () => {
    const c = await tl.commitTimelockedWeights(k.val, params);
    expect(c).toMatchObject({ uids: [1, 2], values: [21845, 65535], commitRevealVersion: 4 });
    expect(c.bytes).toBeLessThanOrEqual(5000);
    tl.drandPulse(c.revealRound); // pulse already there, but the reveal epoch has not come
    const at = toRevealBlock();
    expect(tl.weightsOf(NET, 0)).toEqual([]);
    tl.advance(1);
    expect(await tl.currentBlock()).toBe(at);
    expect(reveals).toEqual([{ netuid: NET, hotkey: k.val.address, revealRound: c.revealRound, block: at, outcome: "revealed" }]);
    expect(tl.weightsOf(NET, 0)).toEqual([[1, 21845], [2, 65535]]);
  });
  it("waits for a late pulse within the reveal epoch, and drops the commit when the epoch ends without it", async () => {
    const c = await tl.commitTimelockedWeights(k.val, params);
    toRevealBlock();
    tl.advance(3);
    expect(tl.weightsOf(NET, 0)).toEqual([]);
    tl.drandPulse(c.revealRound - 1); // not yet its round
    tl.advance(1);
    expect(reveals).toEqual([]);
    tl.drandPulse(c.revealRound);
    tl.advance(1);
    expect(reveals.map((r) => r.outcome)).toEqual(["revealed"]);

    tl.advance(5); // the reveal set last_update: respect the rate limit
    const late = await tl.commitTimelockedWeights(k.val, { ...params, weights: [1, 1] });
    tl.advance(30); // three epochs: its reveal epoch passes with no pulse
    expect(reveals.map((r) => r.outcome)).toEqual(["revealed", "Expired"]);
    expect(late.revealRound).toBeGreaterThan(tl.latestDrandRound);
    expect(tl.weightsOf(NET, 0)).toEqual([[1, 21845], [2, 65535]]);
  });
  it("runs the weight checks at reveal: an unknown uid is dropped with the chain's error", async () => {
    const c = await tl.commitTimelockedWeights(k.val, { ...params, uids: [1, 9] });
    tl.drandPulse(c.revealRound);
    toRevealBlock();
    tl.advance(1);
    expect(reveals.map((r) => r.outcome)).toEqual(["UidVecContainInvalidOne"]);
    expect(tl.weightsOf(NET, 0)).toEqual([]);
  });
  it("applies the rate limit at reveal, as do_set_mechanism_weights does", async () => {
    tl.setSubnetParams(NET, { weightsRateLimit: 100 });
    const c = await tl.commitTimelockedWeights(k.val, params);
    tl.drandPulse(c.revealRound);
    toRevealBlock();
    tl.advance(1);
    expect(reveals.map((r) => r.outcome)).toEqual(["SettingWeightsTooFast"]);
  });
  it("drops a commit whose payload names another hotkey, and one it cannot decrypt", async () => {
    const round = 600_000_000;
    const foreign = await timelockEncrypt(encodeTimelockPayload({ hotkey: k.m1.address, uids: [2], values: [65535], versionKey: 0 }), round, tl.beacon.publicKeyHex);
    tl.commitTimelockedRaw(k.val.address, { netuid: NET, commit: foreign, revealRound: round, commitRevealVersion: 4 });
    tl.advance(5);
    const quicknet = await timelockEncrypt(encodeTimelockPayload({ hotkey: k.val.address, uids: [2], values: [65535], versionKey: 0 }), round);
    tl.commitTimelockedRaw(k.val.address, { netuid: NET, commit: quicknet, revealRound: round, commitRevealVersion: 4 });
    tl.drandPulse(round);
    tl.advance(25);
    expect(reveals.map((r) => r.outcome).sort()).toEqual(["DecryptFailed", "HotkeyMismatch"]);
    expect(tl.weightsOf(NET, 0)).toEqual([]);
  });
  it("refuses what the chain refuses: size, a round already past, version, disabled, unregistered, rate limit, too many", async () => {
    const ok = { netuid: NET, commit: new Uint8Array(295), revealRound: 1000, commitRevealVersion: 4 };
    await expectCode(() => tl.commitTimelockedRaw(k.val.address, { ...ok, commit: new Uint8Array(5001) }), "CommitTooLarge");
    tl.drandPulse(2000);
    await expectCode(() => tl.commitTimelockedRaw(k.val.address, ok), "InvalidRevealRound");
    const fresh = { ...ok, revealRound: 2000 };
    await expectCode(() => tl.commitTimelockedRaw(k.val.address, { ...fresh, commitRevealVersion: 3 }), "IncorrectCommitRevealVersion");
    await expectCode(() => tl.commitTimelockedRaw(k.stranger.address, fresh), "HotKeyNotRegisteredInSubNet");
    tl.commitTimelockedRaw(k.val.address, fresh);
    await expectCode(() => tl.commitTimelockedRaw(k.val.address, fresh), "CommittingWeightsTooFast");
    tl.setSubnetParams(NET, { weightsRateLimit: 0, revealPeriodEpochs: 100 });
    for (let i = 0; i < 9; i++) tl.commitTimelockedRaw(k.val.address, fresh);
    await expectCode(() => tl.commitTimelockedRaw(k.val.address, fresh), "TooManyUnrevealedCommits");
    tl.setSubnetParams(NET, { commitRevealEnabled: false });
    await expectCode(() => tl.commitTimelockedRaw(k.m1.address, fresh), "CommitRevealDisabled");
    // Our own builder refuses an oversized commit before sending anything.
    tl.setSubnetParams(NET, { commitRevealEnabled: true, revealPeriodEpochs: 1 });
    const many = Array.from({ length: 2600 }, (_, i) => i);
    await expectCode(() => tl.commitTimelockedWeights(k.m2, { netuid: NET, uids: many, weights: many.map(() => 1), versionKey: 0 }), "CommitTooLarge");
    tl.setSubnetParams(NET, { commitRevealVersion: 5 });
    await expectCode(() => tl.commitTimelockedWeights(k.m2, params), "UnsupportedCommitRevealVersion");
  });
  it("submitWeights picks set, timelocked or hash commits from the hyperparameters", async () => {
    tl.setSubnetParams(NET, { commitRevealEnabled: false });
    expect((await tl.submitWeights(k.val, params)).mode).toBe("set");
    tl.advance(5);
    tl.setSubnetParams(NET, { commitRevealEnabled: true });
    expect((await tl.submitWeights(k.val, params)).mode).toBe("timelocked");
    tl.advance(5);
    tl.setSubnetParams(NET, { commitRevealVersion: 2 });
    expect((await tl.submitWeights(k.val, params)).mode).toBe("commit");
  });
});

// Tests in a file run in order, so this sees every error raised above.
describe("coverage of error names", () => {
  it("raised every pallet error name in PALLET_ERRORS", () => {
    expect([...PALLET_ERRORS].filter((e) => !seen.has(e))).toEqual([]);
  });
});
