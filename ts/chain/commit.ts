// Hash commit-reveal (commit_weights / reveal_weights): the commit is blake2b-256 of the SCALE tuple
// (hotkey AccountId32, NetUidStorageIndex u16, Vec<u16> uids, Vec<u16> values, Vec<u16> salt, u64 version_key).
import { blake2AsU8a, decodeAddress } from "@polkadot/util-crypto";
import { u8aToHex } from "@polkadot/util";
import { randomBytes } from "node:crypto";
import { ChainError } from "./errors.js";
import { createSubtensorRegistry } from "./scale.js";

/** Storage index of a (netuid, mechanism) pair: mecid * 4096 + netuid (GLOBAL_MAX_SUBNET_COUNT = 4096). */
export function netuidStorageIndex(netuid: number, mecid = 0): number {
  if (!Number.isInteger(netuid) || netuid < 0 || netuid >= 4096) {
    throw new ChainError("input", "InvalidNetuid", `netuid ${netuid} outside 0..4095`);
  }
  if (!Number.isInteger(mecid) || mecid < 0 || mecid > 15) {
    throw new ChainError("input", "MechanismDoesNotExist", `mecid ${mecid} outside 0..15`);
  }
  return mecid * 4096 + netuid;
}

const registry = createSubtensorRegistry();

export interface CommitInput {
  /** SS58 address or 32-byte public key of the committing hotkey. */
  hotkey: string | Uint8Array;
  netuid: number;
  mecid?: number;
  uids: readonly number[];
  values: readonly number[];
  salt: readonly number[];
  versionKey: number | bigint;
}

/** SCALE bytes of the commit tuple (exported for golden-vector tests). */
export function encodeCommitPayload(c: CommitInput): Uint8Array {
  let pub: Uint8Array;
  try {
    pub = typeof c.hotkey === "string" ? decodeAddress(c.hotkey) : c.hotkey;
  } catch {
    throw new ChainError("input", "InvalidAddress", `hotkey '${String(c.hotkey)}' is not an SS58 address`);
  }
  if (pub.length !== 32) throw new ChainError("input", "InvalidHotkey", `hotkey is ${pub.length} bytes, want 32`);
  for (const list of [c.uids, c.values, c.salt]) {
    for (const v of list) {
      if (!Number.isInteger(v) || v < 0 || v > 65535) throw new ChainError("input", "InvalidU16", `${v} is not a u16`);
    }
  }
  return registry
    .createType("(AccountId32, u16, Vec<u16>, Vec<u16>, Vec<u16>, u64)", [
      pub,
      netuidStorageIndex(c.netuid, c.mecid ?? 0),
      c.uids,
      c.values,
      c.salt,
      c.versionKey,
    ])
    .toU8a();
}

/** 0x-hex blake2b-256 commit hash, as the SDK's generate_weight_hash returns it. */
export function commitHash(c: CommitInput): string {
  return u8aToHex(blake2AsU8a(encodeCommitPayload(c), 256));
}

/** Random salt of u16 values (the SDK uses 8). */
export function randomSalt(length = 8): number[] {
  const bytes = randomBytes(length * 2);
  return Array.from({ length }, (_, i) => bytes.readUInt16LE(i * 2));
}
