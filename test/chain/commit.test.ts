import { describe, expect, it } from "vitest";
import { u8aToHex } from "@polkadot/util";
import { commitHash, encodeCommitPayload, netuidStorageIndex, randomSalt } from "../../ts/chain/commit.js";
import { ChainError } from "../../ts/chain/errors.js";
import { loadGolden } from "./golden.js";

interface CommitCase {
  hotkey: string;
  netuid: number;
  mecid: number;
  uids: number[];
  values: number[];
  salt: number[];
  version_key: string;
  payload_hex: string;
  hash: string;
}
const golden = loadGolden<{ cases: CommitCase[] }>("chain_commit");

describe("hash commit (golden vectors from chain_commit.py)", () => {
  for (const [i, c] of golden.cases.entries()) {
    it(`case ${i}: netuid ${c.netuid} mecid ${c.mecid}, ${c.uids.length} uids`, () => {
      const input = { ...c, versionKey: BigInt(c.version_key) };
      expect(u8aToHex(encodeCommitPayload(input))).toBe(`0x${c.payload_hex}`);
      expect(commitHash(input)).toBe(c.hash);
    });
  }
  it("changes when any field changes", () => {
    const c = golden.cases[0]!;
    const base = { ...c, versionKey: BigInt(c.version_key) };
    const variants = [
      { ...base, netuid: base.netuid + 1 },
      { ...base, salt: [...base.salt].reverse() },
      { ...base, versionKey: base.versionKey + 1n },
      { ...base, mecid: 1 },
    ];
    for (const v of variants) expect(commitHash(v)).not.toBe(c.hash);
  });
});

describe("netuidStorageIndex and salts", () => {
  it("is mecid * 4096 + netuid and rejects out-of-range ids", () => {
    expect(netuidStorageIndex(47)).toBe(47);
    expect(netuidStorageIndex(47, 1)).toBe(4143);
    expect(() => netuidStorageIndex(4096)).toThrow(ChainError);
    expect(() => netuidStorageIndex(1, 16)).toThrow(/MechanismDoesNotExist/);
  });
  it("rejects a bad hotkey or non-u16 values with typed errors", () => {
    const c = golden.cases[0]!;
    expect(() => commitHash({ ...c, hotkey: "5bad", versionKey: 0 })).toThrow(/InvalidAddress/);
    expect(() => commitHash({ ...c, values: [65536], versionKey: 0 })).toThrow(/InvalidU16/);
  });
  it("draws u16 salts", () => {
    const s = randomSalt();
    expect(s).toHaveLength(8);
    for (const x of s) expect(x >= 0 && x <= 65535 && Number.isInteger(x)).toBe(true);
  });
});
