// Timelocked commits judged by the real bittensor-drand 2.0.0 (.venv-bt, what bittensor 10.5 uses) through
// test/chain/py/timelock_oracle.py: our ciphertexts decrypt with its decrypt_with_signature under a local BLS
// beacon key and yield the payload it encodes itself; our reveal rounds equal its get_encrypted_commit_v2 rounds.
import { beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Keyring } from "@polkadot/keyring";
import { cryptoWaitReady } from "@polkadot/util-crypto";
import {
  LocalBeacon,
  buildTimelockedCommit,
  encodeTimelockPayload,
  decodeTimelockPayload,
  firstRevealBlock,
  revealRound,
  timelockDecrypt,
  timelockEncrypt,
  type EpochSchedule,
} from "../../ts/chain/timelock.js";
import { ChainError } from "../../ts/chain/errors.js";

const PY = fileURLToPath(new URL("../../.venv-bt/bin/python", import.meta.url));
const ORACLE = fileURLToPath(new URL("./py/timelock_oracle.py", import.meta.url));

function oracle<T>(req: unknown): T {
  if (!existsSync(PY)) throw new Error(`${PY} missing: run scripts/setup.d/20-bittensor-sdk.sh`);
  const out = execFileSync(PY, ["-B", ORACLE], { input: JSON.stringify(req), timeout: 120_000, maxBuffer: 1 << 24 });
  return JSON.parse(out.toString()) as T;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
let hotkey: Uint8Array;
beforeAll(async () => {
  await cryptoWaitReady();
  hotkey = new Keyring({ type: "sr25519" }).addFromUri("//Validator").publicKey;
});

describe("ciphertexts decrypt with bittensor-drand", () => {
  it("yields exactly the payload bittensor-drand encodes, for several payloads; wrong signatures fail", async () => {
    const beacon = new LocalBeacon();
    const other = new LocalBeacon();
    const cases = [
      { uids: [0, 1, 2], values: [65535, 10922, 1], versionKey: 0n, round: 1 },
      { uids: [7], values: [65535], versionKey: 18446744073709551615n, round: 26_000_000 },
      { uids: Array.from({ length: 256 }, (_, i) => i), values: Array.from({ length: 256 }, (_, i) => (i * 257) % 65536), versionKey: 10_050_000n, round: 123_456_789 },
    ];
    const reqs = [];
    for (const c of cases) {
      const payload = encodeTimelockPayload({ hotkey, uids: c.uids, values: c.values, versionKey: c.versionKey });
      const ct = await timelockEncrypt(payload, c.round, beacon.publicKeyHex);
      reqs.push({
        ct: hex(ct),
        sig: hex(beacon.sign(c.round)),
        round: c.round,
        payload: { hotkey: hex(hotkey), uids: c.uids, values: c.values, version_key: c.versionKey.toString() },
        ours: hex(payload),
      });
      // Our own decryption (the DevChain's reveal) agrees.
      expect(hex(timelockDecrypt(ct, beacon.sign(c.round))!)).toBe(hex(payload));
      expect(timelockDecrypt(ct, beacon.sign(c.round + 1))).toBeNull();
    }
    const first = reqs[0]!;
    const bad = [
      { ...first, sig: hex(beacon.sign(first.round + 1)), payload: undefined }, // the next round's pulse
      { ...first, sig: hex(other.sign(first.round)), payload: undefined }, // another beacon's key
    ];
    const res = oracle<{ version: string; decrypt: Array<{ plain?: string; expected?: string; error?: string }> }>({
      decrypt: [...reqs.map(({ ours: _o, ...r }) => r), ...bad.map(({ ours: _o, payload: _p, ...r }) => r)],
    });
    expect(res.version).toBe("2.0.0");
    reqs.forEach((r, i) => {
      expect(res.decrypt[i]!.error).toBeUndefined();
      expect(res.decrypt[i]!.plain).toBe(r.ours);
      expect(res.decrypt[i]!.expected).toBe(r.ours);
    });
    expect(res.decrypt[reqs.length]!.error).toBeDefined();
    expect(res.decrypt[reqs.length + 1]!.error).toBeDefined();
  });

  it("has the chain's layout: 295 bytes for a 51-byte payload, v and w as length-prefixed vectors", async () => {
    const payload = encodeTimelockPayload({ hotkey, uids: [0, 1], values: [1, 2], versionKey: 0n });
    expect(payload.length).toBe(51);
    const ct = await timelockEncrypt(payload, 1000);
    expect(ct.length).toBe(295);
    // u (96-byte G2) then v: u64 LE length 32 then 32 bytes, then w the same way.
    expect(hex(ct.subarray(96, 104))).toBe("2000000000000000");
    expect(hex(ct.subarray(136, 144))).toBe("2000000000000000");
    expect(Buffer.from(ct.subarray(ct.length - 8)).toString()).toBe("AES_GCM_");
  });

  it("the 5000-byte commit limit: 1177 weights fit, 1178 are refused before anything is sent", async () => {
    const s: EpochSchedule = { lastEpochBlock: 1000, pendingEpochAt: 0, subnetEpochIndex: 5, tempo: 360, blocksSinceLastStep: 100, currentBlock: 1100 };
    const payload = (n: number) => ({ hotkey, uids: Array.from({ length: n }, (_, i) => i), values: Array.from({ length: n }, () => 65535), versionKey: 1 });
    const fits = await buildTimelockedCommit(payload(1177), s, 1, { blockTimeMs: 12_000 });
    expect(fits.commit.length).toBe(45 + 4 * 1177 + 244);
    await expect(buildTimelockedCommit(payload(1178), s, 1, { blockTimeMs: 12_000 })).rejects.toMatchObject({ code: "CommitTooLarge" });
  });
  it("payload round-trips through our decoder and rejects trailing bytes", () => {
    const p = encodeTimelockPayload({ hotkey, uids: [3, 4], values: [5, 6], versionKey: 9n });
    expect(decodeTimelockPayload(p)).toEqual({ hotkey, uids: [3, 4], values: [5, 6], versionKey: 9n });
    expect(decodeTimelockPayload(new Uint8Array([...p, 0]))).toBeNull();
    expect(() => encodeTimelockPayload({ hotkey, uids: [1, 2], values: [1], versionKey: 0 })).toThrow(ChainError);
  });
});

// Chain states at one pinned block: ordinary, at and just past boundaries, owner-triggered (pending) epochs,
// long gaps (a stalled subnet past MAX_TEMPO fires every block), reveal periods 0-3, fast blocks, tempo 0.
const base: EpochSchedule = { lastEpochBlock: 1000, pendingEpochAt: 0, subnetEpochIndex: 5, tempo: 360, blocksSinceLastStep: 100, currentBlock: 1100 };
const TABLE: Array<{ name: string; s: EpochSchedule; period: number; blockTime: number }> = [
  { name: "mid-epoch", s: base, period: 1, blockTime: 12 },
  { name: "head one before the boundary", s: { ...base, currentBlock: 1359, blocksSinceLastStep: 359 }, period: 1, blockTime: 12 },
  { name: "head two before the boundary", s: { ...base, currentBlock: 1358, blocksSinceLastStep: 358 }, period: 1, blockTime: 12 },
  { name: "head on the epoch block", s: { ...base, lastEpochBlock: 1360, currentBlock: 1360, blocksSinceLastStep: 0, subnetEpochIndex: 6 }, period: 1, blockTime: 12 },
  { name: "pending epoch ahead", s: { ...base, pendingEpochAt: 1200 }, period: 1, blockTime: 12 },
  { name: "pending epoch at head+1", s: { ...base, pendingEpochAt: 1101 }, period: 1, blockTime: 12 },
  { name: "pending epoch already due", s: { ...base, pendingEpochAt: 1050 }, period: 2, blockTime: 12 },
  { name: "last epoch long ago", s: { ...base, lastEpochBlock: 100, blocksSinceLastStep: 1000 }, period: 1, blockTime: 12 },
  { name: "stalled subnet past MAX_TEMPO", s: { ...base, blocksSinceLastStep: 50_401 }, period: 1, blockTime: 12 },
  { name: "at MAX_TEMPO exactly", s: { ...base, blocksSinceLastStep: 50_400 }, period: 1, blockTime: 12 },
  { name: "reveal period 0", s: base, period: 0, blockTime: 12 },
  { name: "reveal period 3", s: base, period: 3, blockTime: 12 },
  { name: "tempo 1", s: { ...base, tempo: 1, lastEpochBlock: 1100, blocksSinceLastStep: 0 }, period: 1, blockTime: 12 },
  { name: "fast blocks, tempo 10", s: { ...base, tempo: 10, lastEpochBlock: 1095, blocksSinceLastStep: 5 }, period: 2, blockTime: 0.25 },
  { name: "max tempo", s: { ...base, tempo: 50_400, lastEpochBlock: 0, currentBlock: 50_000, blocksSinceLastStep: 50_000 }, period: 1, blockTime: 12 },
  { name: "tempo 0", s: { ...base, tempo: 0 }, period: 1, blockTime: 12 },
];

describe("reveal rounds equal get_encrypted_commit_v2's", () => {
  it("on a table of chain states", () => {
    const values = [65535, 1];
    const res = oracle<{ rounds: Array<{ t0?: number; t1?: number; round?: number; len?: number; error?: string }> }>({
      rounds: TABLE.map((c) => ({ ...c.s, period: c.period, block_time: c.blockTime, uids: [0, 1], values, version_key: 1, hotkey: hex(hotkey) })),
    });
    const payloadLen = encodeTimelockPayload({ hotkey, uids: [0, 1], values, versionKey: 1 }).length;
    TABLE.forEach((c, i) => {
      const theirs = res.rounds[i]!;
      if (c.s.tempo === 0) {
        expect(theirs.error, c.name).toMatch(/tempo/i);
        expect(() => revealRound(c.s, c.period, c.blockTime * 1000), c.name).toThrow(ChainError);
        return;
      }
      expect(theirs.error, c.name).toBeUndefined();
      // Their round uses the wall clock inside the call: bracket it with ours at its start and end.
      const lo = revealRound(c.s, c.period, c.blockTime * 1000, theirs.t0! * 1000);
      const hi = revealRound(c.s, c.period, c.blockTime * 1000, theirs.t1! * 1000);
      expect(theirs.round!, c.name).toBeGreaterThanOrEqual(lo);
      expect(theirs.round!, c.name).toBeLessThanOrEqual(hi);
      // With 12 s blocks one block is 4 rounds, so the bracket pins the reveal block exactly.
      if (c.blockTime === 12) expect(hi - lo, c.name).toBeLessThanOrEqual(1);
      // Same plaintext length gives the same ciphertext length (layout check against the SDK's own output).
      expect(theirs.len, c.name).toBe(payloadLen + 244);
    });
  });

  it("a commit at head lands at head+1; the reveal block is the first block of the target epoch", () => {
    // Mid-epoch, period 1: the commit counts for epoch 5; epoch 6 starts at 1360 (1000 + tempo).
    expect(firstRevealBlock(base, 1)).toBe(1360);
    expect(firstRevealBlock(base, 2)).toBe(1720);
    // Head at 1359: the commit lands in 1360, where an epoch fires first, so it counts for epoch 6 (reveal at 1720).
    expect(firstRevealBlock({ ...base, currentBlock: 1359, blocksSinceLastStep: 359 }, 1)).toBe(1720);
    expect(firstRevealBlock(base, 0)).toBe(1101);
  });
});
