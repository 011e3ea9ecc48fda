// SubtensorChain end to end against a real ApiPromise on a scripted provider (no node): reads decode the
// golden payloads, writes are signed with subtensor's extension layout and come back as the node would
// report them (events, module errors, pool rejections).
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { Keyring } from "@polkadot/keyring";
import type { KeyringPair } from "@polkadot/keyring/types";
import { u8aConcat, u8aToHex } from "@polkadot/util";
import { blake2AsU8a, cryptoWaitReady, decodeAddress, xxhashAsU8a } from "@polkadot/util-crypto";
import { SubtensorChain } from "../../ts/chain/subtensor.js";
import { ChainError, PALLET_ERRORS } from "../../ts/chain/errors.js";
import { commitHash } from "../../ts/chain/commit.js";
import { ipToInt } from "../../ts/chain/axon-ip.js";
import { FakeSubtensorProvider, subtensorEvent } from "./fixtures/fake-provider.js";
import { defaultExtensions, FIXTURE_TYPE_IDS as T } from "./fixtures/metadata.js";
import { loadGolden } from "./golden.js";
import { revealRound } from "../../ts/chain/timelock.js";

interface G {
  selective_args: { hex: string };
  selective_metagraph: { hex: string; block: number };
  neurons_lite_vec: { hex: string };
  selective_hyperparameters: { hex: string };
  axon_info: Array<{ hex: string }>;
}
const g = loadGolden<G>("chain_scale");
const SELECTIVE = "SubnetInfoRuntimeApi_get_selective_metagraph";

let hot: KeyringPair;
let cold: KeyringPair;
beforeAll(async () => {
  await cryptoWaitReady();
  const ring = new Keyring({ type: "sr25519", ss58Format: 42 });
  hot = ring.addFromUri("//Alice");
  cold = ring.addFromUri("//Bob");
});

const open: SubtensorChain[] = [];
async function connect(provider: FakeSubtensorProvider) {
  const chain = await SubtensorChain.connect({ provider, retries: 0 });
  open.push(chain);
  return chain;
}
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

function storageKey(item: string, netuid?: number, account?: string): string {
  const parts = [xxhashAsU8a("SubtensorModule", 128), xxhashAsU8a(item, 128)];
  if (netuid !== undefined) parts.push(new Uint8Array([netuid & 255, netuid >> 8]));
  if (account) {
    const pub = decodeAddress(account);
    parts.push(blake2AsU8a(pub, 128), pub);
  }
  return u8aToHex(u8aConcat(...parts));
}

function withReads(p: FakeSubtensorProvider): FakeSubtensorProvider {
  p.stateCalls.set(SELECTIVE, (args) => (args === `0x${g.selective_args.hex}` ? `0x${g.selective_metagraph.hex}` : `0x${g.selective_hyperparameters.hex}`));
  return p;
}

describe("SubtensorChain reads", () => {
  it("connects, registers subtensor's extensions and finds nothing to refuse", async () => {
    const chain = await connect(new FakeSubtensorProvider());
    expect(chain.extensions.unknownNonEmpty).toEqual([]);
    expect(chain.extensions.mismatched).toEqual([]);
    expect(chain.api.registry.signedExtensions).toContain("ChargeTransactionPaymentWrapper");
  });
  it("reads the metagraph with one selective-metagraph call", async () => {
    const p = withReads(new FakeSubtensorProvider());
    const chain = await connect(p);
    const m = await chain.metagraph(47);
    expect(m).toMatchObject({ source: "selective-metagraph", netuid: 47, n: 2, block: g.selective_metagraph.block });
    const calls = p.calls.filter((c) => c.method === "state_call");
    expect(calls).toEqual([{ method: "state_call", params: [SELECTIVE, `0x${g.selective_args.hex}`] }]);
  });
  it("falls back to get_neurons_lite when the selective API fails", async () => {
    const p = new FakeSubtensorProvider();
    p.stateCalls.set(SELECTIVE, new Error("-32000: Client error: Execution failed: Other: Exported method not found"));
    p.stateCalls.set("NeuronInfoRuntimeApi_get_neurons_lite", `0x${g.neurons_lite_vec.hex}`);
    const events: string[] = [];
    const chain = await SubtensorChain.connect({ provider: p, retries: 0, onEvent: (e) => events.push(e) });
    open.push(chain);
    const m = await chain.metagraph(47);
    expect(m).toMatchObject({ source: "neurons-lite", n: 2, block: p.blockNumber });
    expect(events).toContain("metagraph-fallback");
    expect(p.calls.find((c) => c.method === "state_call" && c.params[0] === "NeuronInfoRuntimeApi_get_neurons_lite")?.params[1]).toBe("0x2f00");
  });
  it("reads hyperparameters (selective API + StakeThreshold storage) and the version key", async () => {
    const p = withReads(new FakeSubtensorProvider());
    p.storage.set(storageKey("StakeThreshold"), "0x00e8764817000000");
    const chain = await connect(p);
    const h = await chain.hyperparameters(47);
    expect(h).toMatchObject({ tempo: 360, minAllowedWeights: 8, weightsVersionKey: 40100, commitRevealEnabled: true, stakeThreshold: 100_000_000_000n });
    expect(await chain.versionKey(47)).toBe(40100);
  });
  it("reads a uid from the Uids map (null when absent) and the block number", async () => {
    const p = new FakeSubtensorProvider();
    p.storage.set(storageKey("Uids", 47, hot.address), "0x0300");
    const chain = await connect(p);
    expect(await chain.uidOf(47, hot.address)).toBe(3);
    expect(await chain.uidOf(47, cold.address)).toBeNull();
    expect(await chain.currentBlock()).toBe(0x1234);
  });
});

describe("SubtensorChain writes", () => {
  it("set_weights: converts, signs with the wrapper tip, and reports events", async () => {
    const p = new FakeSubtensorProvider();
    p.outcome = { kind: "success", events: [subtensorEvent(0, new Uint8Array([47, 0, 0, 0]))] };
    const chain = await connect(p);
    const res = await chain.setWeights(hot, { netuid: 47, uids: [1, 2], weights: [1, 6], versionKey: 40100 });
    expect(res).toMatchObject({ block: 0x1234, events: ["SubtensorModule.WeightsSet", "System.ExtrinsicSuccess"] });
    const ext = p.submitted[0]!;
    expect(ext.signer.toString()).toBe(hot.address);
    expect(ext.nonce.toNumber()).toBe(5);
    expect(ext.tip.toNumber()).toBe(0);
    expect(ext.era.isMortalEra).toBe(true);
    expect(ext.method.method).toBe("setMechanismWeights");
    expect(ext.method.toJSON()).toMatchObject({ args: { netuid: 47, mecid: 0, dests: [1, 2], weights: [10922, 65535], version_key: 40100 } });
  });
  it("module errors come back as ChainError with the pallet error name", async () => {
    const p = new FakeSubtensorProvider();
    p.outcome = { kind: "module-error", errorIndex: PALLET_ERRORS.indexOf("SettingWeightsTooFast") };
    const chain = await connect(p);
    const err = await chain.setWeights(hot, { netuid: 47, uids: [1], weights: [1], versionKey: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ChainError);
    expect(err).toMatchObject({ kind: "module", code: "SettingWeightsTooFast" });
  });
  it("pool rejections come back named", async () => {
    const p = new FakeSubtensorProvider();
    p.outcome = { kind: "pool-reject", message: "1010: Invalid Transaction: Custom error: 6" };
    const chain = await connect(p);
    await expect(chain.setWeights(hot, { netuid: 47, uids: [1], weights: [1], versionKey: 0 })).rejects.toMatchObject({
      kind: "invalid-transaction",
      code: "RateLimitExceeded",
    });
  });
  it("a transaction that never reaches a block times out with a typed error", async () => {
    const p = new FakeSubtensorProvider();
    p.outcome = { kind: "never-included" };
    const chain = await SubtensorChain.connect({ provider: p, retries: 0, inclusionTimeoutMs: 200 });
    open.push(chain);
    await expect(chain.setWeights(hot, { netuid: 47, uids: [1], weights: [1], versionKey: 0 })).rejects.toMatchObject({
      kind: "connection",
      code: "InclusionTimeout",
    });
  });
  it("serve_axon sends the encoded endpoint, and skips it when the chain already has it", async () => {
    const p = new FakeSubtensorProvider();
    const chain = await connect(p);
    expect(await chain.serveAxon(hot, { netuid: 47, ip: "203.0.113.7", port: 8091, version: 10_002_000 })).not.toBeNull();
    expect(p.submitted[0]!.method.toJSON()).toMatchObject({
      args: { netuid: 47, version: 10_002_000, ip: Number(ipToInt("203.0.113.7").value), port: 8091, ip_type: 4, protocol: 4 },
    });
    p.storage.set(storageKey("Axons", 47, hot.address), `0x${g.axon_info[0]!.hex}`);
    expect(await chain.serveAxon(hot, { netuid: 47, ip: "203.0.113.7", port: 8091, version: 10_002_000 })).toBeNull();
    expect(p.submitted).toHaveLength(1);
  });
  it("commit then reveal: the committed hash is blake2b of what is revealed", async () => {
    const p = new FakeSubtensorProvider();
    const chain = await connect(p);
    const c = await chain.commitWeights(hot, { netuid: 47, uids: [0, 2], weights: [0.5, 1], versionKey: 7, salt: [1, 2, 3] });
    expect(c.hash).toBe(commitHash({ hotkey: hot.address, netuid: 47, uids: [0, 2], values: [32768, 65535], salt: [1, 2, 3], versionKey: 7 }));
    expect(p.submitted[0]!.method.toJSON()).toMatchObject({ args: { netuid: 47, commit_hash: c.hash } });
    await chain.revealWeights(hot, c);
    expect(p.submitted[1]!.method.method).toBe("revealWeights");
    expect(p.submitted[1]!.method.toJSON()).toMatchObject({ args: { uids: [0, 2], values: [32768, 65535], salt: [1, 2, 3], version_key: 7 } });
  });
  it("timelocked commit: reads the epoch schedule at one pinned block and the chain's commit-reveal version", async () => {
    const p = withReads(new FakeSubtensorProvider());
    const u64 = (n: number) => u8aToHex(new Uint8Array(new BigUint64Array([BigInt(n)]).buffer));
    const twox = (item: string) => u8aToHex(u8aConcat(xxhashAsU8a("SubtensorModule", 128), xxhashAsU8a(item, 128), xxhashAsU8a(new Uint8Array([47, 0]), 64), new Uint8Array([47, 0])));
    // Head 0x1234 = 4660, last epoch at 4500 with tempo 360: next epochs fire at 4860 and 5220.
    p.storage.set(storageKey("LastEpochBlock", 47), u64(4500));
    p.storage.set(storageKey("SubnetEpochIndex", 47), u64(12));
    p.storage.set(storageKey("BlocksSinceLastStep", 47), u64(160));
    p.storage.set(storageKey("Tempo", 47), "0x6801");
    p.storage.set(twox("RevealPeriodEpochs"), u64(2));
    p.storage.set(storageKey("CommitRevealWeightsVersion"), "0x0500");
    const chain = await connect(p);
    expect((await chain.hyperparameters(47)).commitRevealVersion).toBe(5);
    // A version whose format we do not write is refused, not sent (it would be accepted and never revealed).
    await expect(chain.commitTimelockedWeights(hot, { netuid: 47, uids: [1], weights: [1], versionKey: 0 })).rejects.toMatchObject({
      code: "UnsupportedCommitRevealVersion",
    });
    expect(p.submitted).toHaveLength(0);
    p.storage.set(storageKey("CommitRevealWeightsVersion"), "0x0400");
    p.calls.length = 0;
    const before = Date.now();
    const c = await chain.commitTimelockedWeights(hot, { netuid: 47, uids: [1, 2], weights: [1, 6], versionKey: 40100 });
    const after = Date.now();
    const schedule = { lastEpochBlock: 4500, pendingEpochAt: 0, subnetEpochIndex: 12, tempo: 360, blocksSinceLastStep: 160, currentBlock: 0x1234 };
    expect(c.revealRound).toBeGreaterThanOrEqual(revealRound(schedule, 2, 12_000, before));
    expect(c.revealRound).toBeLessThanOrEqual(revealRound(schedule, 2, 12_000, after));
    expect(c).toMatchObject({ uids: [1, 2], values: [10922, 65535], commitRevealVersion: 4, bytes: 295 });
    const ext = p.submitted[0]!;
    expect(ext.method.method).toBe("commitTimelockedMechanismWeights");
    const args = ext.method.toJSON() as { args: Record<string, unknown> };
    expect(args.args).toMatchObject({ netuid: 47, mecid: 0, reveal_round: c.revealRound, commit_reveal_version: 4 });
    expect(((args.args.commit as string).length - 2) / 2).toBe(295);
    // Every schedule read names the same block hash.
    const pallet = u8aToHex(xxhashAsU8a("SubtensorModule", 128));
    const reads = p.calls.filter((x) => x.method === "state_getStorage" && x.params.length === 2 && String(x.params[0]).startsWith(pallet));
    expect(reads.length).toBe(7);
    expect(new Set(reads.map((x) => x.params[1])).size).toBe(1);
  });
  it("refuses a timelocked commit on a runtime without the stateful epoch storage (its round would be wrong)", async () => {
    const p = withReads(new FakeSubtensorProvider({ legacyEpochs: true }));
    const chain = await connect(p);
    await expect(chain.commitTimelockedWeights(hot, { netuid: 47, uids: [1], weights: [1], versionKey: 0 })).rejects.toMatchObject({
      kind: "unsupported-extension",
      code: "StorageNotInRuntime",
    });
    expect(p.submitted).toHaveLength(0);
  });
  it("submitWeights on a subnet with commit-reveal on (the golden hyperparameters) sends a timelocked commit", async () => {
    const p = withReads(new FakeSubtensorProvider());
    const chain = await connect(p);
    const s = await chain.submitWeights(hot, { netuid: 47, uids: [1], weights: [1], versionKey: 40100 });
    expect(s.mode).toBe("timelocked");
    expect(p.submitted.map((x) => x.method.method)).toEqual(["commitTimelockedMechanismWeights"]);
  });
  it("burned_register is signed by the coldkey and returns the new uid", async () => {
    const p = new FakeSubtensorProvider();
    p.storage.set(storageKey("Uids", 47, hot.address), "0x0900");
    const chain = await connect(p);
    const r = await chain.burnedRegister(cold, { netuid: 47, hotkey: hot.address });
    expect(r.uid).toBe(9);
    expect(p.submitted[0]!.signer.toString()).toBe(cold.address);
    expect(p.submitted[0]!.method.method).toBe("burnedRegister");
  });
  it("refuses to sign when the metadata lists an unknown extension that carries bytes", async () => {
    const p = new FakeSubtensorProvider({
      extensions: [...defaultExtensions(), { identifier: "FutureFeeExtension", type: T.NonEmptyUnknown, additionalSigned: T.Unit }],
    });
    const chain = await connect(p);
    expect(chain.extensions.unknownNonEmpty).toEqual(["FutureFeeExtension"]);
    await expect(chain.setWeights(hot, { netuid: 47, uids: [1], weights: [1], versionKey: 0 })).rejects.toMatchObject({
      kind: "unsupported-extension",
      code: "UnsupportedSignedExtension",
    });
    expect(p.submitted).toHaveLength(0);
  });
  it("rejects all-zero weights before sending anything", async () => {
    const p = new FakeSubtensorProvider();
    const chain = await connect(p);
    await expect(chain.setWeights(hot, { netuid: 47, uids: [1, 2], weights: [0, 0], versionKey: 0 })).rejects.toMatchObject({ code: "EmptyWeights" });
    expect(p.submitted).toHaveLength(0);
  });
});
