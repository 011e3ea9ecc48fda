// Timelocked weight commits (commit-reveal v3/v4, subtensor's default): the SCALE payload, drand-quicknet IBE
// encryption with the ciphertext layout of the `tle` crate the chain pins, and the reveal round the SDK
// (bittensor 10.5 / bittensor-drand 2.0.0, get_encrypted_commit_v2) derives from the subnet's epoch schedule.
//
// Pinned exactly: @ideallabs/timelock.js 1.0.1 with @ideallabs/timelock_wasm_wrapper 1.0.0. Their output has
// the chain's layout (header v and w as arkworks Vec<u8>, 295 bytes for a 51-byte payload); 0.3.0 writes v/w
// as fixed arrays (16 bytes shorter), which the chain cannot decode. drand's tlock-js is an age-based format
// and incompatible with the chain altogether.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createHash, randomBytes } from "node:crypto";
// The package index re-exports with extensionless specifiers, which Node ESM cannot resolve: import the module.
import { Timelock, SupportedCurve } from "@ideallabs/timelock.js/dist/timelock.js";
import { initSync, tld } from "@ideallabs/timelock_wasm_wrapper";
import { bls12_381 } from "@noble/curves/bls12-381.js";
import { decodeAddress } from "@polkadot/util-crypto";
import { compactAddLength, u8aConcat } from "@polkadot/util";
import { ChainError } from "./errors.js";
import { createSubtensorRegistry } from "./scale.js";

/** Drand quicknet (what subtensor ingests into Drand.Pulses). */
export const QUICKNET = {
  publicKeyHex:
    "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a",
  genesisSeconds: 1_692_803_367,
  periodSeconds: 3,
} as const;

/**
 * CommitRevealWeightsVersion values whose payload and ciphertext we build (v4: the payload carries the hotkey).
 * Sending another version's number with this format would be accepted and then never revealed, so we refuse.
 */
export const SUPPORTED_COMMIT_REVEAL_VERSIONS: readonly number[] = [4];

export function checkCommitRevealVersion(version: number): void {
  if (!SUPPORTED_COMMIT_REVEAL_VERSIONS.includes(version)) {
    throw new ChainError(
      "unsupported-extension",
      "UnsupportedCommitRevealVersion",
      `the chain expects commit-reveal version ${version}; this build writes ${SUPPORTED_COMMIT_REVEAL_VERSIONS.join(", ")}`,
    );
  }
}

/** BoundedVec<u8, MAX_CRV3_COMMIT_SIZE_BYTES> on the commit call. */
export const MAX_TIMELOCKED_COMMIT_BYTES = 5000;
/** bittensor-drand constants (src/constants.rs): the tempo cap (also the "stuck subnet" threshold). */
const MAX_TEMPO = 50_400;
/** Blocks after the first reveal block whose pulse the SDK targets, so the pulse is on chain by then. */
const SECURITY_BLOCK_OFFSET = 3;
/** A commit built at head lands in head + 1. */
const COMMIT_INCLUSION_BLOCK_OFFSET = 1;
const DST = "BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_";

const registry = createSubtensorRegistry();

// ---- payload ----

export interface TimelockPayload {
  /** SS58 address or 32-byte public key of the committing hotkey (the chain checks it is the signer). */
  hotkey: string | Uint8Array;
  uids: readonly number[];
  /** Already converted u16 values. */
  values: readonly number[];
  versionKey: number | bigint;
}

function hotkeyBytes(hotkey: string | Uint8Array): Uint8Array {
  let pub: Uint8Array;
  try {
    pub = typeof hotkey === "string" ? decodeAddress(hotkey) : hotkey;
  } catch {
    throw new ChainError("input", "InvalidAddress", `hotkey '${String(hotkey)}' is not an SS58 address`);
  }
  if (pub.length !== 32) throw new ChainError("input", "InvalidHotkey", `hotkey is ${pub.length} bytes, want 32`);
  return pub;
}

function checkU16s(what: string, xs: readonly number[]): void {
  for (const x of xs) {
    if (!Number.isInteger(x) || x < 0 || x > 65535) throw new ChainError("input", "InvalidU16", `${what}: ${x}`);
  }
}

/** SCALE WeightsTlockPayload { hotkey: Vec<u8>, uids: Vec<u16>, values: Vec<u16>, version_key: u64 }. */
export function encodeTimelockPayload(p: TimelockPayload): Uint8Array {
  checkU16s("uids", p.uids);
  checkU16s("values", p.values);
  if (p.uids.length !== p.values.length) throw new ChainError("input", "WeightVecNotEqualSize", `${p.uids.length} uids, ${p.values.length} values`);
  // Built piecewise: createType("Bytes", Uint8Array) reads the array as already length-prefixed.
  return u8aConcat(
    compactAddLength(hotkeyBytes(p.hotkey)),
    registry.createType("Vec<u16>", p.uids).toU8a(),
    registry.createType("Vec<u16>", p.values).toU8a(),
    registry.createType("u64", p.versionKey).toU8a(),
  );
}

export interface DecodedTimelockPayload {
  hotkey: Uint8Array;
  uids: number[];
  values: number[];
  versionKey: bigint;
}

/** Inverse of encodeTimelockPayload; null when the bytes are not exactly one payload. */
export function decodeTimelockPayload(bytes: Uint8Array): DecodedTimelockPayload | null {
  try {
    const t = registry.createType("(Bytes, Vec<u16>, Vec<u16>, u64)", bytes);
    if (t.encodedLength !== bytes.length) return null;
    const [hk, uids, values, vk] = t as unknown as [
      { toU8a(bare: boolean): Uint8Array },
      { toArray(): Array<{ toNumber(): number }> },
      { toArray(): Array<{ toNumber(): number }> },
      { toBigInt(): bigint },
    ];
    return {
      hotkey: hk.toU8a(true),
      uids: uids.toArray().map((x) => x.toNumber()),
      values: values.toArray().map((x) => x.toNumber()),
      versionKey: vk.toBigInt(),
    };
  } catch {
    return null;
  }
}

// ---- IBE (drand quicknet identity: sha256(round as u64 big-endian)) ----

let timelock: Timelock | null = null;
let wasmLoaded = false;

function ensureWasm(): void {
  if (wasmLoaded) return;
  // timelock.js' own loader fetch()es the wasm by file URL, which Node's fetch refuses; load it from disk.
  const require = createRequire(import.meta.url);
  const path = require.resolve("@ideallabs/timelock_wasm_wrapper").replace(/timelock_wasm_wrapper\.js$/, "timelock_wasm_wrapper_bg.wasm");
  initSync({ module: readFileSync(path) });
  wasmLoaded = true;
}

async function getTimelock(): Promise<Timelock> {
  if (!timelock) {
    ensureWasm();
    timelock = await Timelock.build(SupportedCurve.BLS12_381);
  }
  return timelock;
}

function checkRound(round: number): void {
  if (!Number.isSafeInteger(round) || round < 1) throw new ChainError("input", "InvalidRevealRound", `round ${round}`);
}

/** The message drand signs for a round: sha256(round as u64 big-endian). */
export function roundMessage(round: number): Uint8Array {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(round));
  return new Uint8Array(createHash("sha256").update(b).digest());
}

/** Encrypt for `round` under a beacon public key (96-byte compressed G2 hex; quicknet by default). */
export async function timelockEncrypt(plaintext: Uint8Array, round: number, beaconPublicKeyHex: string = QUICKNET.publicKeyHex): Promise<Uint8Array> {
  checkRound(round);
  const tl = await getTimelock();
  const identity = { build: async (r: number) => roundMessage(r) };
  const out = await tl.encrypt(plaintext, round, identity, beaconPublicKeyHex.replace(/^0x/, ""), randomBytes(32).toString("hex"));
  if (out instanceof Error) throw new ChainError("input", "TimelockEncryptFailed", out.message);
  return out;
}

/** Decrypt with the beacon's signature for the ciphertext's round (48-byte compressed G1); null when it fails. */
export function timelockDecrypt(ciphertext: Uint8Array, signature: Uint8Array): Uint8Array | null {
  ensureWasm();
  try {
    return new Uint8Array(tld(ciphertext, signature, SupportedCurve.BLS12_381) as Uint8Array);
  } catch {
    return null;
  }
}

/** A local stand-in for drand (tests, the DevChain): a BLS key on G2 that signs rounds on G1, as quicknet does. */
export class LocalBeacon {
  readonly publicKeyHex: string;
  private readonly secretKey: Uint8Array;

  constructor(seed?: Uint8Array) {
    const bls = bls12_381.shortSignatures;
    const keys = seed ? { secretKey: seed, publicKey: bls.getPublicKey(seed) } : bls.keygen();
    this.secretKey = keys.secretKey;
    this.publicKeyHex = Buffer.from(keys.publicKey.toBytes(true)).toString("hex");
  }

  /** 48-byte compressed G1 signature of the round's message. */
  sign(round: number): Uint8Array {
    checkRound(round);
    const bls = bls12_381.shortSignatures;
    return bls.sign(bls.hash(roundMessage(round), DST), this.secretKey).toBytes(true);
  }
}

// ---- reveal round (bittensor-drand 2.0.0 epoch_schedule.rs semantics) ----

/** Epoch storage of one subnet read at one block (the SDK's EpochScheduleState). */
export interface EpochSchedule {
  lastEpochBlock: number;
  /** Owner-triggered epoch block, 0 when none. */
  pendingEpochAt: number;
  subnetEpochIndex: number;
  tempo: number;
  blocksSinceLastStep: number;
  /** The block these values were read at (the chain head). */
  currentBlock: number;
}

/** subtensor's should_run_epoch (run_coinbase): does an epoch fire at `block` given the state before it? */
export function shouldRunEpoch(s: EpochSchedule, block: number): boolean {
  if (s.tempo === 0) return false;
  if (s.pendingEpochAt > 0 && block >= s.pendingEpochAt) return true;
  if (s.blocksSinceLastStep > MAX_TEMPO) return true;
  return Math.max(0, block - s.lastEpochBlock) >= s.tempo;
}

/** The epoch index extrinsics and reveals see at `block` (reveals run before run_coinbase). */
export function epochIndexAt(s: EpochSchedule, block: number): number {
  return shouldRunEpoch(s, block) ? s.subnetEpochIndex + 1 : s.subnetEpochIndex;
}

/** The schedule after run_coinbase at `block`. */
export function stepSchedule(s: EpochSchedule, block: number): EpochSchedule {
  const next = { ...s, blocksSinceLastStep: s.blocksSinceLastStep + 1, currentBlock: block };
  if (shouldRunEpoch(next, block)) {
    next.lastEpochBlock = block;
    next.pendingEpochAt = 0;
    next.subnetEpochIndex += 1;
    next.blocksSinceLastStep = 0;
  }
  return next;
}

/** First block at which the chain reveals a commit sent at `s.currentBlock` (lands one block later). */
export function firstRevealBlock(s: EpochSchedule, revealPeriodEpochs: number): number {
  if (s.tempo === 0) throw new ChainError("input", "TempoIsZero", "tempo is 0: the subnet runs no epochs, nothing would be revealed");
  const extrinsicBlock = s.currentBlock + COMMIT_INCLUSION_BLOCK_OFFSET;
  const target = epochIndexAt(s, extrinsicBlock) + revealPeriodEpochs;
  // Same bound as the SDK: the reveal epoch is at most (period + 1) maximal tempos away.
  const maxBlocks = revealPeriodEpochs * MAX_TEMPO + MAX_TEMPO;
  let state = s;
  for (let r = extrinsicBlock; r <= extrinsicBlock + maxBlocks; r++) {
    if (epochIndexAt(state, r) === target) return r;
    state = stepSchedule(state, r);
  }
  throw new ChainError("input", "RevealBlockOutOfRange", `no reveal block within ${maxBlocks} blocks`);
}

/**
 * Drand round whose pulse should be on chain a few blocks after the first reveal block, from the wall clock
 * `nowMs` and the chain's block time (12 s on finney, 0.25 s on fast-block localnets).
 */
export function revealRound(s: EpochSchedule, revealPeriodEpochs: number, blockTimeMs: number, nowMs: number = Date.now()): number {
  const reveal = firstRevealBlock(s, revealPeriodEpochs);
  const blocks = Math.max(0, reveal + SECURITY_BLOCK_OFFSET - s.currentBlock);
  const target = nowMs / 1000 + (blocks * blockTimeMs) / 1000;
  const round = Math.floor((target - QUICKNET.genesisSeconds) / QUICKNET.periodSeconds);
  return Math.max(1, round);
}

/** The drand round current at `nowMs` (what the chain would have ingested by then). */
export function roundAt(nowMs: number): number {
  return Math.max(0, Math.floor((nowMs / 1000 - QUICKNET.genesisSeconds) / QUICKNET.periodSeconds));
}

export interface TimelockedCommitBytes {
  commit: Uint8Array;
  revealRound: number;
}

/** Payload + encryption + round, as get_encrypted_commit_v2 returns them. */
export async function buildTimelockedCommit(
  p: TimelockPayload,
  s: EpochSchedule,
  revealPeriodEpochs: number,
  opts: { blockTimeMs: number; nowMs?: number; beaconPublicKeyHex?: string },
): Promise<TimelockedCommitBytes> {
  const round = revealRound(s, revealPeriodEpochs, opts.blockTimeMs, opts.nowMs);
  const commit = await timelockEncrypt(encodeTimelockPayload(p), round, opts.beaconPublicKeyHex);
  if (commit.length > MAX_TIMELOCKED_COMMIT_BYTES) {
    throw new ChainError("input", "CommitTooLarge", `commit is ${commit.length} bytes, limit ${MAX_TIMELOCKED_COMMIT_BYTES}`);
  }
  return { commit, revealRound: round };
}
