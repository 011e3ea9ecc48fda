// Builds the SubtensorModule calls we send, from either `api.tx.subtensorModule` (live) or the same section
// decorated offline from metadata (tests). Prefers the mechanism-aware variants when the runtime has them,
// as SDK 10 does; falls back to the legacy calls for mechanism 0.
import { decodeAddress } from "@polkadot/util-crypto";
import { u8aToHex } from "@polkadot/util";
import { ChainError } from "./errors.js";
import { ipToInt } from "./axon-ip.js";

type CallFn<T> = (...args: unknown[]) => T;
/** `api.tx.subtensorModule` or an offline `expandMetadata(...).tx.subtensorModule`. */
export type CallSection<T> = Record<string, CallFn<T> | undefined>;

function pick<T>(section: CallSection<T>, name: string): CallFn<T> {
  const fn = section[name];
  if (typeof fn !== "function") {
    throw new ChainError("unsupported-extension", "CallNotInRuntime", `SubtensorModule.${name} is not in this runtime`);
  }
  return fn;
}

function u16s(name: string, xs: readonly number[]): number[] {
  for (const x of xs) {
    if (!Number.isInteger(x) || x < 0 || x > 65535) throw new ChainError("input", "InvalidU16", `${name}: ${x}`);
  }
  return [...xs];
}

export function setWeightsCall<T>(
  s: CallSection<T>,
  a: { netuid: number; mecid: number; uids: readonly number[]; values: readonly number[]; versionKey: number | bigint },
): T {
  const uids = u16s("uids", a.uids);
  const values = u16s("values", a.values);
  if (s.setMechanismWeights) return pick(s, "setMechanismWeights")(a.netuid, a.mecid, uids, values, a.versionKey);
  if (a.mecid !== 0) throw new ChainError("module", "MechanismDoesNotExist", "runtime has no set_mechanism_weights");
  return pick(s, "setWeights")(a.netuid, uids, values, a.versionKey);
}

export function commitWeightsCall<T>(s: CallSection<T>, a: { netuid: number; mecid: number; hash: string }): T {
  if (!/^0x[0-9a-f]{64}$/i.test(a.hash)) throw new ChainError("input", "InvalidCommitHash", a.hash);
  if (a.mecid !== 0 || !s.commitWeights) return pick(s, "commitMechanismWeights")(a.netuid, a.mecid, a.hash);
  return pick(s, "commitWeights")(a.netuid, a.hash);
}

export function revealWeightsCall<T>(
  s: CallSection<T>,
  a: { netuid: number; mecid: number; uids: readonly number[]; values: readonly number[]; salt: readonly number[]; versionKey: number | bigint },
): T {
  const args = [u16s("uids", a.uids), u16s("values", a.values), u16s("salt", a.salt), a.versionKey];
  if (a.mecid !== 0 || !s.revealWeights) return pick(s, "revealMechanismWeights")(a.netuid, a.mecid, ...args);
  return pick(s, "revealWeights")(a.netuid, ...args);
}

/**
 * commit_timelocked_mechanism_weights (118), as the SDK sends it; commit_timelocked_weights (113) for
 * mechanism 0 on a runtime without mechanisms.
 */
export function commitTimelockedCall<T>(
  s: CallSection<T>,
  a: { netuid: number; mecid: number; commit: Uint8Array; revealRound: number; commitRevealVersion: number },
): T {
  if (!Number.isSafeInteger(a.revealRound) || a.revealRound < 1) throw new ChainError("input", "InvalidRevealRound", `round ${a.revealRound}`);
  if (!Number.isInteger(a.commitRevealVersion) || a.commitRevealVersion < 0 || a.commitRevealVersion > 65535) {
    throw new ChainError("input", "InvalidU16", `commit_reveal_version ${a.commitRevealVersion}`);
  }
  // As hex: @polkadot/types reads a Uint8Array given for a Bytes argument as already length-prefixed.
  const commit = u8aToHex(a.commit);
  if (s.commitTimelockedMechanismWeights) {
    return pick(s, "commitTimelockedMechanismWeights")(a.netuid, a.mecid, commit, a.revealRound, a.commitRevealVersion);
  }
  if (a.mecid !== 0) throw new ChainError("module", "MechanismDoesNotExist", "runtime has no commit_timelocked_mechanism_weights");
  return pick(s, "commitTimelockedWeights")(a.netuid, commit, a.revealRound, a.commitRevealVersion);
}

export function serveAxonCall<T>(
  s: CallSection<T>,
  a: { netuid: number; ip: string; port: number; version: number; protocol: number },
): T {
  const { value, ipType } = ipToInt(a.ip);
  if (!Number.isInteger(a.port) || a.port <= 0 || a.port > 65535) throw new ChainError("input", "InvalidPort", `port ${a.port}`);
  return pick(s, "serveAxon")(a.netuid, a.version, value, a.port, ipType, a.protocol, 0, 0);
}

export function burnedRegisterCall<T>(s: CallSection<T>, a: { netuid: number; hotkey: string }): T {
  let pub: Uint8Array;
  try {
    pub = decodeAddress(a.hotkey);
  } catch {
    throw new ChainError("input", "InvalidAddress", `hotkey '${a.hotkey}' is not an SS58 address`);
  }
  return pick(s, "burnedRegister")(a.netuid, pub);
}
