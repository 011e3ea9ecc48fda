// Decoding of runtime-API payloads (state_call results) into our Metagraph/Hyperparameters, and the raw
// storage keys we read. Every chain value is checked here, at the edge.
import type { Registry } from "@polkadot/types/types";
import type { Codec } from "@polkadot/types-codec/types";
import { hexToU8a, u8aConcat, u8aToHex } from "@polkadot/util";
import { blake2AsU8a, decodeAddress, xxhashAsU8a } from "@polkadot/util-crypto";
import { ChainError } from "./errors.js";
import { intToIp } from "./axon-ip.js";
import type { AxonInfo, Hyperparameters, Metagraph } from "./types.js";
import { U16_MAX } from "./weights.js";

type Json = Record<string, unknown>;

function bad(message: string): never {
  throw new ChainError("decode", "UnexpectedChainValue", message);
}

function toJson(c: Codec): Json {
  return c.toJSON() as Json;
}

function num(v: unknown, what: string): number {
  const n = typeof v === "string" ? Number(v.startsWith("0x") ? BigInt(v) : v) : v;
  if (typeof n !== "number" || !Number.isFinite(n) || n < 0) bad(`${what}: ${String(v)} is not a non-negative number`);
  return n;
}

function big(v: unknown, what: string): bigint {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return BigInt(v);
  if (typeof v === "string" && /^(0x[0-9a-f]+|\d+)$/i.test(v)) return BigInt(v);
  if (typeof v === "bigint" && v >= 0n) return v;
  return bad(`${what}: ${String(v)} is not an integer`);
}

function list(v: unknown, what: string, n?: number): unknown[] {
  if (!Array.isArray(v)) bad(`${what} missing`);
  if (n !== undefined && v.length !== n) bad(`${what} has ${v.length} entries, expected ${n}`);
  return v;
}

export function decodeAxon(raw: unknown): AxonInfo {
  const a = raw as Json;
  const ipValue = big(a.ip, "axon.ip");
  const { ip } = intToIp(ipValue);
  const ipType = num(a.ip_type ?? a.ipType, "axon.ip_type");
  const port = num(a.port, "axon.port");
  return {
    block: num(a.block, "axon.block"),
    version: num(a.version, "axon.version"),
    ip,
    port,
    ipType: ipType === 6 ? 6 : 4,
    protocol: num(a.protocol, "axon.protocol"),
    isServing: ipValue !== 0n && port !== 0,
  };
}

/** SCALE args of get_selective_metagraph(netuid: u16, indexes: Vec<u16>). */
export function encodeSelectiveArgs(registry: Registry, netuid: number, indexes: readonly number[]): Uint8Array {
  return registry.createType("(u16, Vec<u16>)", [netuid, indexes]).toU8a();
}

function selective(registry: Registry, bytes: Uint8Array): Json {
  let opt: Codec & { isSome: boolean; unwrap(): Codec };
  try {
    opt = registry.createType("Option<SelectiveMetagraph>", bytes) as unknown as typeof opt;
  } catch (e) {
    return bad(`SelectiveMetagraph did not decode: ${(e as Error).message}`);
  }
  if (!opt.isSome) throw new ChainError("module", "SubNetworkDoesNotExist", "runtime API returned None");
  return toJson(opt.unwrap());
}

/** Option<SelectiveMetagraph> asked for NEURON_INDEXES -> Metagraph. */
export function decodeSelectiveMetagraph(registry: Registry, bytes: Uint8Array, fallbackBlock: number): Metagraph {
  const m = selective(registry, bytes);
  const hotkeys = list(m.hotkeys, "hotkeys").map(String);
  const n = hotkeys.length;
  // total_stake = alpha + tao x TaoWeight, the weight-setting stake (the SDK's S).
  const total = list(m.total_stake, "total_stake", n).map((v) => big(v, "total_stake"));
  return {
    netuid: num(m.netuid, "netuid"),
    block: m.block == null ? fallbackBlock : num(m.block, "block"),
    n,
    uids: hotkeys.map((_, i) => i),
    hotkeys,
    coldkeys: list(m.coldkeys, "coldkeys", n).map(String),
    stakes: total.map((s) => Number(s) / 1e9),
    stakesRao: total,
    active: list(m.active, "active", n).map(Boolean),
    validatorPermits: list(m.validator_permit, "validator_permit", n).map(Boolean),
    axons: list(m.axons, "axons", n).map(decodeAxon),
    incentives: list(m.incentives, "incentives", n).map((v) => num(v, "incentive") / U16_MAX),
    dividends: list(m.dividends, "dividends", n).map((v) => num(v, "dividends") / U16_MAX),
    emissions: list(m.emission, "emission", n).map((v) => Number(big(v, "emission")) / 1e9),
    lastUpdate: list(m.last_update, "last_update", n).map((v) => num(v, "last_update")),
    source: "selective-metagraph",
  };
}

/** Vec<NeuronInfoLite> -> Metagraph (stake = sum of the per-coldkey stake entries, in rao). */
export function decodeNeuronsLite(registry: Registry, bytes: Uint8Array, netuid: number, block: number): Metagraph {
  let neurons: Json[];
  try {
    neurons = (registry.createType("Vec<NeuronInfoLite>", bytes).toJSON() as Json[]) ?? [];
  } catch (e) {
    return bad(`Vec<NeuronInfoLite> did not decode: ${(e as Error).message}`);
  }
  const byUid = [...neurons].sort((a, b) => num(a.uid, "uid") - num(b.uid, "uid"));
  byUid.forEach((x, i) => {
    if (num(x.uid, "uid") !== i) bad(`uids are not 0..n-1 (found ${String(x.uid)} at ${i})`);
    if (num(x.netuid, "netuid") !== netuid) bad(`neuron of subnet ${String(x.netuid)} in subnet ${netuid}`);
  });
  const stakes = byUid.map((x) =>
    list(x.stake, "stake").reduce<bigint>((acc, e) => acc + big((e as unknown[])[1], "stake"), 0n),
  );
  return {
    netuid,
    block,
    n: byUid.length,
    uids: byUid.map((_, i) => i),
    hotkeys: byUid.map((x) => String(x.hotkey)),
    coldkeys: byUid.map((x) => String(x.coldkey)),
    stakes: stakes.map((s) => Number(s) / 1e9),
    stakesRao: stakes,
    active: byUid.map((x) => Boolean(x.active)),
    validatorPermits: byUid.map((x) => Boolean(x.validator_permit)),
    axons: byUid.map((x) => decodeAxon(x.axon_info)),
    incentives: byUid.map((x) => num(x.incentive, "incentive") / U16_MAX),
    dividends: byUid.map((x) => num(x.dividends, "dividends") / U16_MAX),
    emissions: byUid.map((x) => Number(big(x.emission, "emission")) / 1e9),
    lastUpdate: byUid.map((x) => num(x.last_update, "last_update")),
    source: "neurons-lite",
  };
}

/** Option<SelectiveMetagraph> asked for HYPERPARAM_INDEXES -> Hyperparameters. */
export function decodeHyperparameters(registry: Registry, bytes: Uint8Array, stakeThreshold: bigint, commitRevealVersion = 4): Hyperparameters {
  const m = selective(registry, bytes);
  const need = (k: string) => {
    if (m[k] === null || m[k] === undefined) bad(`hyperparameter ${k} missing from the selective metagraph`);
    return m[k];
  };
  return {
    netuid: num(m.netuid, "netuid"),
    tempo: num(need("tempo"), "tempo"),
    subnetworkN: num(need("num_uids"), "num_uids"),
    maxAllowedUids: num(need("max_uids"), "max_uids"),
    minAllowedWeights: num(need("min_allowed_weights"), "min_allowed_weights"),
    maxWeightsLimit: num(need("max_weights_limit"), "max_weights_limit"),
    weightsRateLimit: num(need("weights_rate_limit"), "weights_rate_limit"),
    weightsVersionKey: num(need("weights_version"), "weights_version"),
    servingRateLimit: num(need("serving_rate_limit"), "serving_rate_limit"),
    immunityPeriod: num(need("immunity_period"), "immunity_period"),
    maxAllowedValidators: num(need("max_validators"), "max_validators"),
    commitRevealEnabled: Boolean(need("commit_reveal_weights_enabled")),
    revealPeriodEpochs: num(need("commit_reveal_period"), "commit_reveal_period"),
    commitRevealVersion,
    stakeThreshold,
    burn: big(need("burn"), "burn"),
    registrationAllowed: Boolean(need("registration_allowed")),
  };
}

const PALLET = "SubtensorModule";

/** twox128(pallet) ++ twox128(item). */
export function storagePrefix(item: string): Uint8Array {
  return u8aConcat(xxhashAsU8a(PALLET, 128), xxhashAsU8a(item, 128));
}

/** Plain storage value key, e.g. StakeThreshold. */
export function plainStorageKey(item: string): string {
  return u8aToHex(storagePrefix(item));
}

/** Key of a map keyed by netuid alone, e.g. Tempo (Identity) or RevealPeriodEpochs (Twox64Concat). */
export function netuidMapStorageKey(registry: Registry, item: string, netuid: number, hasher: "Identity" | "Twox64Concat"): string {
  const key = registry.createType("u16", netuid).toU8a();
  const hashed = hasher === "Identity" ? key : u8aConcat(xxhashAsU8a(key, 64), key);
  return u8aToHex(u8aConcat(storagePrefix(item), hashed));
}

/** Key of a (NetUid Identity, hotkey Blake2_128Concat) map such as Uids or Axons. */
export function hotkeyMapStorageKey(registry: Registry, item: "Uids" | "Axons", netuid: number, hotkey: string): string {
  let pub: Uint8Array;
  try {
    pub = decodeAddress(hotkey);
  } catch {
    throw new ChainError("input", "InvalidAddress", `hotkey '${hotkey}' is not an SS58 address`);
  }
  return u8aToHex(u8aConcat(storagePrefix(item), registry.createType("u16", netuid).toU8a(), blake2AsU8a(pub, 128), pub));
}

/** A JSON-RPC hex result, checked. */
export function hexResult(what: string, v: unknown): Uint8Array {
  if (typeof v !== "string" || !/^0x([0-9a-f]{2})*$/i.test(v)) bad(`${what} returned ${String(v).slice(0, 80)}`);
  return hexToU8a(v);
}
