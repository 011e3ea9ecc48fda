// In-memory chain for tests and `condense localnet`. It enforces subtensor's rules for the calls we send
// (same checks, same order, same error names; see docs/chain.md) and runs a simple stake-weighted epoch so a
// local network shows incentives. Blocks advance manually (advance) or on a timer (start). Epochs follow
// subtensor's stateful schedule (LastEpochBlock, PendingEpochAt, SubnetEpochIndex); timelocked commits are
// encrypted to a local drand stand-in (LocalBeacon) and revealed in their reveal epoch once its pulse arrives.
import { EventEmitter } from "node:events";
import { decodeAddress, encodeAddress } from "@polkadot/util-crypto";
import { ChainError, type PalletErrorName } from "./errors.js";
import { convertWeightsForEmit, U16_MAX } from "./weights.js";
import { commitHash, netuidStorageIndex, randomSalt } from "./commit.js";
import { intToIp, ipToInt, isChainValidIp } from "./axon-ip.js";
import { submitWeights } from "./weight-setter.js";
import {
  LocalBeacon,
  MAX_TIMELOCKED_COMMIT_BYTES,
  checkCommitRevealVersion,
  decodeTimelockPayload,
  epochIndexAt,
  revealRound,
  roundAt,
  stepSchedule,
  timelockDecrypt,
  timelockEncrypt,
  encodeTimelockPayload,
  type EpochSchedule,
} from "./timelock.js";
import type {
  AxonInfo,
  BurnedRegisterParams,
  Chain,
  ChainSigner,
  Hyperparameters,
  Metagraph,
  RegisterResult,
  ServeAxonParams,
  SetWeightsParams,
  TimelockedCommit,
  TxResult,
  WeightCommit,
  WeightSubmission,
} from "./types.js";

/** The chain's rule parameters (what `hyperparameters` reports, less the derived fields) plus devnet knobs. */
export interface DevSubnetParams extends Omit<Hyperparameters, "netuid" | "subnetworkN"> {
  /** Blocks without a weight update (or registration) after which a neuron reads as inactive. */
  activityCutoff: number;
  /** Alpha (rao) emitted per block, split half to miners (incentive) and half to validators (dividends). */
  emissionPerBlock: bigint;
}

/** Chain defaults where subtensor has one (WeightsSetRateLimit 100, ServingRateLimit 50, ...). */
export const DEFAULT_SUBNET_PARAMS: DevSubnetParams = {
  tempo: 360,
  maxAllowedUids: 256,
  minAllowedWeights: 1,
  maxWeightsLimit: U16_MAX,
  weightsRateLimit: 100,
  weightsVersionKey: 0,
  servingRateLimit: 50,
  immunityPeriod: 4096,
  maxAllowedValidators: 64,
  commitRevealEnabled: false,
  revealPeriodEpochs: 1,
  commitRevealVersion: 4,
  stakeThreshold: 0n,
  burn: 1_000_000_000n,
  registrationAllowed: true,
  activityCutoff: 5000,
  emissionPerBlock: 1_000_000_000n,
};

export interface DevChainOptions {
  /** Milliseconds per block when started with start(); default 12000 (subtensor), 250 for fast localnets. */
  blockTimeMs?: number;
  startBlock?: number;
  /**
   * Accept 127.0.0.1 / ::1 in serve_axon. Subtensor rejects them (InvalidIpAddress); a loopback localnet
   * needs them. Default false (the chain's rule).
   */
  allowLoopback?: boolean;
  /** Secret key (32 bytes) of the local drand stand-in; random by default. */
  beaconSecretKey?: Uint8Array;
  /** Wall clock used for reveal rounds and, when started, drand pulses (tests pin it). Default Date.now. */
  now?: () => number;
}

/** What happened to a timelocked commit when its reveal epoch came (emitted as "timelocked-reveal"). */
export interface TimelockedRevealEvent {
  netuid: number;
  hotkey: string;
  revealRound: number;
  block: number;
  /** "revealed", or why it was dropped: the pallet error of the weight checks, or a decrypt/decode failure. */
  outcome: string;
}

interface Neuron {
  hotkey: string;
  coldkey: string;
  stake: bigint;
  axon: AxonInfo | null;
  lastUpdate: number;
  registeredAt: number;
  weights: Map<number, number>;
  incentive: number;
  dividends: number;
  emission: bigint;
  validatorPermit: boolean;
}

interface PendingCommit {
  hash: string;
  epoch: number;
  block: number;
}

interface PendingTimelocked {
  hotkey: string;
  epoch: number;
  block: number;
  commit: Uint8Array;
  revealRound: number;
}

interface Subnet {
  netuid: number;
  params: DevSubnetParams;
  ownerColdkey: string;
  ownerHotkey: string | null;
  neurons: Neuron[];
  commits: Map<string, PendingCommit[]>;
  /** LastEpochBlock, PendingEpochAt, SubnetEpochIndex, BlocksSinceLastStep after the current block. */
  schedule: Omit<EpochSchedule, "tempo" | "currentBlock">;
  timelocked: PendingTimelocked[];
}

const MAX_UNREVEALED_COMMITS = 10;
/** Drand rounds the chain keeps (Drand.Pulses, about a week of 3 s rounds). */
const PULSE_RETENTION_ROUNDS = 201_600;

function fail(code: PalletErrorName, message: string, details?: Record<string, unknown>): never {
  throw new ChainError("module", code, message, details);
}

function ss58(address: string, what: string): string {
  try {
    return encodeAddress(decodeAddress(address), 42);
  } catch {
    throw new ChainError("input", "InvalidAddress", `${what} '${address}' is not an SS58 address`);
  }
}

export class DevChain extends EventEmitter implements Chain {
  private block: number;
  private readonly subnets = new Map<number, Subnet>();
  private readonly balances = new Map<string, bigint>();
  /** hotkey -> owning coldkey, set at first registration (subtensor's Owner map). */
  private readonly owners = new Map<string, string>();
  private readonly blockTimeMs: number;
  private readonly allowLoopback: boolean;
  private timer: NodeJS.Timeout | null = null;
  /** The local drand stand-in: timelocked commits are encrypted to its key. */
  readonly beacon: LocalBeacon;
  private readonly now: () => number;
  /** Drand.LastStoredRound: pulses up to here are "on chain" (0 = none yet). */
  private lastStoredRound = 0;

  constructor(opts: DevChainOptions = {}) {
    super();
    this.block = opts.startBlock ?? 1;
    this.blockTimeMs = opts.blockTimeMs ?? 12_000;
    this.allowLoopback = opts.allowLoopback ?? false;
    this.beacon = new LocalBeacon(opts.beaconSecretKey);
    this.now = opts.now ?? Date.now;
  }

  // ---- clock ----

  /** Advance blocks on a timer (unref'd: it never keeps the process alive); drand pulses follow the clock. */
  start(): void {
    if (this.timer) return;
    this.drandPulse(roundAt(this.now()));
    this.timer = setInterval(() => {
      this.drandPulse(roundAt(this.now()));
      this.advance(1);
    }, this.blockTimeMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /**
   * Produce `blocks` blocks. Per block and subnet, as subtensor's block_step: first reveal timelocked commits of
   * the epoch now revealing (with the epoch index seen before run_coinbase), then step the epoch schedule and
   * run the epoch when it fires (tempo blocks after the last one, at PendingEpochAt, or every block once a
   * subnet is stalled past 50400 blocks).
   */
  advance(blocks = 1): number {
    if (!Number.isInteger(blocks) || blocks < 0) throw new ChainError("input", "InvalidBlocks", `${blocks}`);
    for (let i = 0; i < blocks; i++) {
      this.block += 1;
      for (const sn of this.subnets.values()) {
        this.revealTimelocked(sn);
        const before = sn.schedule.subnetEpochIndex;
        const next = stepSchedule(this.scheduleOf(sn), this.block);
        sn.schedule = {
          lastEpochBlock: next.lastEpochBlock,
          pendingEpochAt: next.pendingEpochAt,
          subnetEpochIndex: next.subnetEpochIndex,
          blocksSinceLastStep: next.blocksSinceLastStep,
        };
        if (next.subnetEpochIndex !== before) this.runEpoch(sn.netuid);
      }
      this.emit("block", this.block);
    }
    return this.block;
  }

  /** SubnetEpochIndex after the current block: the epoch extrinsics and hash commit windows use. */
  epochOf(netuid: number): number {
    return this.subnet(netuid).schedule.subnetEpochIndex;
  }

  /** The epoch storage the SDK reads before a timelocked commit, at the current block. */
  epochSchedule(netuid: number): EpochSchedule {
    return this.scheduleOf(this.subnet(netuid));
  }

  /** Owner-triggered epoch (PendingEpochAt): fires at `block` or the first block after it. */
  scheduleEpoch(netuid: number, block: number): void {
    this.subnet(netuid).schedule.pendingEpochAt = block;
  }

  /** A drand pulse arrives: every round up to `round` is now on chain (Drand.LastStoredRound). */
  drandPulse(round: number): void {
    if (!Number.isSafeInteger(round) || round < 0) throw new ChainError("input", "InvalidRevealRound", `round ${round}`);
    this.lastStoredRound = Math.max(this.lastStoredRound, round);
  }

  /** Drand.LastStoredRound. */
  get latestDrandRound(): number {
    return this.lastStoredRound;
  }

  private scheduleOf(sn: Subnet): EpochSchedule {
    return { ...sn.schedule, tempo: sn.params.tempo, currentBlock: this.block };
  }

  // ---- setup helpers (no signatures, no fees: for tests and the local network) ----

  createSubnet(netuid: number, params: Partial<DevSubnetParams> = {}, ownerColdkey?: string): void {
    netuidStorageIndex(netuid);
    if (netuid === 0) throw new ChainError("input", "InvalidNetuid", "netuid 0 is the root network");
    if (this.subnets.has(netuid)) throw new ChainError("input", "SubnetExists", `subnet ${netuid} exists`);
    const merged = { ...DEFAULT_SUBNET_PARAMS, ...params };
    this.subnets.set(netuid, {
      netuid,
      params: merged,
      ownerColdkey: ownerColdkey ? ss58(ownerColdkey, "owner coldkey") : "",
      ownerHotkey: null,
      neurons: [],
      commits: new Map(),
      schedule: { lastEpochBlock: this.block, pendingEpochAt: 0, subnetEpochIndex: 0, blocksSinceLastStep: 0 },
      timelocked: [],
    });
  }

  setSubnetParams(netuid: number, params: Partial<DevSubnetParams>): void {
    const sn = this.subnet(netuid);
    sn.params = { ...sn.params, ...params };
  }

  /** Mint free balance (rao) to an account. */
  fund(address: string, rao: bigint): void {
    const a = ss58(address, "account");
    this.balances.set(a, (this.balances.get(a) ?? 0n) + rao);
  }

  balanceOf(address: string): bigint {
    return this.balances.get(ss58(address, "account")) ?? 0n;
  }

  /** Register without paying the burn (test helper). Same rules otherwise; returns the uid. */
  registerHotkey(netuid: number, hotkey: string, coldkey: string): number {
    return this.register(netuid, ss58(hotkey, "hotkey"), ss58(coldkey, "coldkey"), false);
  }

  /** Add stake (rao) to a registered hotkey on a subnet. Permits follow at the next epoch, as on chain. */
  addStake(netuid: number, hotkey: string, rao: bigint): void {
    if (rao < 0n) throw new ChainError("input", "InvalidAmount", `stake ${rao} < 0`);
    const n = this.neuronByHotkey(this.subnet(netuid), ss58(hotkey, "hotkey"));
    if (!n) fail("HotKeyNotRegisteredInSubNet", `hotkey not registered on subnet ${netuid}`);
    n.stake += rao;
  }

  /** Make a hotkey the subnet owner's hotkey (exempt from the stake and permit checks, as on chain). */
  setOwnerHotkey(netuid: number, hotkey: string): void {
    this.subnet(netuid).ownerHotkey = ss58(hotkey, "hotkey");
  }

  /** Current weight row of a uid as (uid, u16) pairs. */
  weightsOf(netuid: number, uid: number): Array<[number, number]> {
    const n = this.subnet(netuid).neurons[uid];
    if (!n) throw new ChainError("input", "UidNotFound", `uid ${uid}`);
    return [...n.weights.entries()].sort((a, b) => a[0] - b[0]);
  }

  /**
   * Epoch: validator permits to the top `maxAllowedValidators` by stake, then a stake-weighted consensus:
   * incentive_j = sum_i stake_i * w_ij / sum_i stake_i over permitted validators with weights (rows
   * normalised to 1), dividends_i proportional to stake_i * sum_j w_ij * incentive_j. Emission for the
   * tempo is split half/half. Much simpler than Yuma (no clipping, no bonds); enough to show results.
   */
  runEpoch(netuid: number): void {
    const sn = this.subnet(netuid);
    const ns = sn.neurons;
    const ranked = ns
      .map((n, uid) => ({ uid, stake: n.stake }))
      .filter((x) => x.stake > 0n)
      .sort((a, b) => (b.stake > a.stake ? 1 : b.stake < a.stake ? -1 : a.uid - b.uid))
      .slice(0, sn.params.maxAllowedValidators);
    const permitted = new Set(ranked.map((r) => r.uid));
    ns.forEach((n, uid) => (n.validatorPermit = permitted.has(uid)));

    const incentive = new Array<number>(ns.length).fill(0);
    const rows = new Map<number, Map<number, number>>();
    let stakeSum = 0;
    ns.forEach((n, uid) => {
      if (!n.validatorPermit || n.weights.size === 0) return;
      const total = [...n.weights.values()].reduce((a, b) => a + b, 0);
      if (total === 0) return;
      const row = new Map<number, number>();
      for (const [j, w] of n.weights) if (j < ns.length) row.set(j, w / total);
      rows.set(uid, row);
      stakeSum += Number(n.stake);
    });
    if (stakeSum > 0) {
      for (const [i, row] of rows) {
        const s = Number(ns[i]!.stake) / stakeSum;
        for (const [j, w] of row) incentive[j] = incentive[j]! + s * w;
      }
    }
    const incSum = incentive.reduce((a, b) => a + b, 0);
    const dividends = new Array<number>(ns.length).fill(0);
    for (const [i, row] of rows) {
      let d = 0;
      for (const [j, w] of row) d += w * (incSum > 0 ? incentive[j]! / incSum : 0);
      dividends[i] = d * Number(ns[i]!.stake);
    }
    const divSum = dividends.reduce((a, b) => a + b, 0);
    const pot = sn.params.emissionPerBlock * BigInt(sn.params.tempo + 1);
    ns.forEach((n, uid) => {
      n.incentive = incSum > 0 ? incentive[uid]! / incSum : 0;
      n.dividends = divSum > 0 ? dividends[uid]! / divSum : 0;
      n.emission =
        BigInt(Math.floor(Number(pot / 2n) * n.incentive)) + BigInt(Math.floor(Number(pot / 2n) * n.dividends));
      n.stake += n.emission;
    });
    this.emit("epoch", netuid, this.block);
  }

  // ---- Chain interface ----

  async currentBlock(): Promise<number> {
    return this.block;
  }

  async metagraph(netuid: number): Promise<Metagraph> {
    const sn = this.subnet(netuid);
    const ns = sn.neurons;
    const emptyAxon: AxonInfo = { block: 0, version: 0, ip: "0.0.0.0", port: 0, ipType: 4, protocol: 0, isServing: false };
    return {
      netuid,
      block: this.block,
      n: ns.length,
      uids: ns.map((_, i) => i),
      hotkeys: ns.map((n) => n.hotkey),
      coldkeys: ns.map((n) => n.coldkey),
      stakes: ns.map((n) => Number(n.stake) / 1e9),
      stakesRao: ns.map((n) => n.stake),
      active: ns.map((n) => this.block - Math.max(n.lastUpdate, n.registeredAt) <= sn.params.activityCutoff),
      validatorPermits: ns.map((n) => n.validatorPermit),
      axons: ns.map((n) => (n.axon ? { ...n.axon } : { ...emptyAxon })),
      incentives: ns.map((n) => Math.round(n.incentive * U16_MAX) / U16_MAX),
      dividends: ns.map((n) => Math.round(n.dividends * U16_MAX) / U16_MAX),
      emissions: ns.map((n) => Number(n.emission) / 1e9),
      lastUpdate: ns.map((n) => n.lastUpdate),
      source: "devchain",
    };
  }

  async hyperparameters(netuid: number): Promise<Hyperparameters> {
    const sn = this.subnet(netuid);
    const { activityCutoff: _cutoff, emissionPerBlock: _emission, ...rules } = sn.params;
    return { netuid, subnetworkN: sn.neurons.length, ...rules };
  }

  async versionKey(netuid: number): Promise<number> {
    return this.subnet(netuid).params.weightsVersionKey;
  }

  async uidOf(netuid: number, hotkey: string): Promise<number | null> {
    const sn = this.subnet(netuid);
    const hk = ss58(hotkey, "hotkey");
    const uid = sn.neurons.findIndex((n) => n.hotkey === hk);
    return uid < 0 ? null : uid;
  }

  async serveAxon(hotkey: ChainSigner, p: ServeAxonParams): Promise<TxResult | null> {
    const { value, ipType } = ipToInt(p.ip);
    const sn = this.subnet(p.netuid);
    const current = this.neuronByHotkey(sn, ss58(hotkey.address, "hotkey"))?.axon;
    const version = p.version ?? 0;
    if (current && current.ip === intToIp(value).ip && current.port === p.port && current.version === version && current.ipType === ipType) {
      return null; // the SDK skips an identical re-serve to stay clear of the rate limit
    }
    return this.serveAxonRaw(hotkey.address, {
      netuid: p.netuid,
      version,
      ip: value,
      port: p.port,
      ipType,
      protocol: p.protocol ?? 4,
    });
  }

  /** serve_axon with raw chain arguments (so every chain check is reachable, ip_type included). */
  serveAxonRaw(
    hotkeyAddress: string,
    a: { netuid: number; version: number; ip: bigint; port: number; ipType: number; protocol: number },
  ): TxResult {
    const sn = this.subnet(a.netuid);
    const n = this.neuronByHotkey(sn, ss58(hotkeyAddress, "hotkey"));
    if (!n) fail("HotKeyNotRegisteredInNetwork", `hotkey not registered on subnet ${a.netuid}`);
    if (a.ipType !== 4 && a.ipType !== 6) fail("InvalidIpType", `ip_type ${a.ipType} is not 4 or 6`);
    const loopback = (a.ipType === 4 && a.ip === 0x7f000001n) || (a.ipType === 6 && a.ip === 1n);
    if (!isChainValidIp(a.ip, a.ipType) && !(this.allowLoopback && loopback)) {
      fail("InvalidIpAddress", `ip ${intToIp(a.ip).ip} is not allowed for ip_type ${a.ipType}`);
    }
    if (!Number.isInteger(a.port) || a.port <= 0 || a.port > 65535) fail("InvalidPort", `port ${a.port}`);
    const prev = n.axon?.block ?? 0;
    const limit = sn.params.servingRateLimit;
    if (limit !== 0 && prev !== 0 && this.block - prev < limit) {
      fail("ServingRateLimitExceeded", `served at block ${prev}, limit ${limit}, now ${this.block}`);
    }
    const { ip } = intToIp(a.ip);
    n.axon = {
      block: this.block,
      version: a.version,
      ip,
      port: a.port,
      ipType: a.ipType as 4 | 6,
      protocol: a.protocol,
      isServing: a.ip !== 0n && a.port !== 0,
    };
    return this.included("SubtensorModule.AxonServed");
  }

  async setWeights(hotkey: ChainSigner, p: SetWeightsParams): Promise<TxResult> {
    const { uids, values } = convertWeightsForEmit(p.uids, p.weights);
    return this.setWeightsRaw(hotkey.address, { ...p, uids, values });
  }

  /** set_mechanism_weights with already-converted u16 values. */
  setWeightsRaw(
    hotkeyAddress: string,
    a: { netuid: number; mecid?: number; uids: readonly number[]; values: readonly number[]; versionKey: number },
  ): TxResult {
    if (a.netuid === 0) fail("CanNotSetRootNetworkWeights", "netuid 0 is the root network");
    const sn = this.subnet(a.netuid);
    if (sn.params.commitRevealEnabled) fail("CommitRevealEnabled", `subnet ${a.netuid} uses commit-reveal`);
    this.applyWeights(sn, ss58(hotkeyAddress, "hotkey"), a, false);
    return this.included("SubtensorModule.WeightsSet");
  }

  async commitWeights(hotkey: ChainSigner, p: SetWeightsParams & { salt?: number[] }): Promise<WeightCommit> {
    const { uids, values } = convertWeightsForEmit(p.uids, p.weights);
    const salt = p.salt ?? randomSalt();
    const hk = ss58(hotkey.address, "hotkey");
    const mecid = p.mecid ?? 0;
    const hash = commitHash({ hotkey: hk, netuid: p.netuid, mecid, uids, values, salt, versionKey: p.versionKey });
    this.commitRaw(hk, { netuid: p.netuid, mecid, hash });
    return { netuid: p.netuid, mecid, hotkey: hk, uids, values, salt, versionKey: p.versionKey, hash, block: this.block };
  }

  /** commit_weights(netuid, commit_hash). */
  commitRaw(hotkeyAddress: string, a: { netuid: number; mecid?: number; hash: string }): TxResult {
    const sn = this.subnet(a.netuid);
    if ((a.mecid ?? 0) !== 0) fail("MechanismDoesNotExist", `mechanism ${a.mecid} on subnet ${a.netuid}`);
    const hk = ss58(hotkeyAddress, "hotkey");
    const n = this.neuronByHotkey(sn, hk);
    if (!sn.params.commitRevealEnabled) fail("CommitRevealDisabled", `subnet ${a.netuid} does not use commit-reveal`);
    if (!n) fail("HotKeyNotRegisteredInSubNet", `hotkey not registered on subnet ${a.netuid}`);
    if (!this.rateLimitOk(sn, n)) fail("CommittingWeightsTooFast", this.rateMessage(sn, n));
    const epoch = this.epochOf(a.netuid);
    const live = (sn.commits.get(hk) ?? []).filter((c) => epoch <= c.epoch + sn.params.revealPeriodEpochs);
    if (live.length >= MAX_UNREVEALED_COMMITS) fail("TooManyUnrevealedCommits", `${live.length} unrevealed commits`);
    live.push({ hash: a.hash.toLowerCase(), epoch, block: this.block });
    sn.commits.set(hk, live);
    n.lastUpdate = this.block;
    return this.included("SubtensorModule.WeightsCommitted");
  }

  async revealWeights(hotkey: ChainSigner, c: WeightCommit): Promise<TxResult> {
    const sn = this.subnet(c.netuid);
    const hk = ss58(hotkey.address, "hotkey");
    if (!sn.params.commitRevealEnabled) fail("CommitRevealDisabled", `subnet ${c.netuid} does not use commit-reveal`);
    const commits = sn.commits.get(hk);
    if (!commits || commits.length === 0) fail("NoWeightsCommitFound", `no commit for this hotkey on subnet ${c.netuid}`);
    // The chain hashes what is revealed; a reveal that differs from the commit finds no matching hash.
    const hash = commitHash({ hotkey: hk, netuid: c.netuid, mecid: c.mecid, uids: c.uids, values: c.values, salt: c.salt, versionKey: c.versionKey });
    const pos = commits.findIndex((x) => x.hash === hash);
    if (pos < 0) fail("InvalidRevealCommitHashNotMatch", "no commit matches the revealed data");
    const found = commits[pos]!;
    const epoch = this.epochOf(c.netuid);
    const revealEpoch = found.epoch + sn.params.revealPeriodEpochs;
    if (epoch < revealEpoch) fail("RevealTooEarly", `reveal in epoch ${revealEpoch}, now ${epoch}`);
    if (epoch > revealEpoch) fail("ExpiredWeightCommit", `reveal window was epoch ${revealEpoch}, now ${epoch}`);
    this.applyWeights(sn, hk, { netuid: c.netuid, uids: c.uids, values: c.values, versionKey: c.versionKey }, true);
    commits.splice(0, pos + 1);
    return this.included("SubtensorModule.WeightsRevealed");
  }

  async commitTimelockedWeights(hotkey: ChainSigner, p: SetWeightsParams): Promise<TimelockedCommit> {
    const { uids, values } = convertWeightsForEmit(p.uids, p.weights);
    if (uids.length === 0) throw new ChainError("input", "EmptyWeights", "every weight is zero");
    const hk = ss58(hotkey.address, "hotkey");
    const sn = this.subnet(p.netuid);
    const mecid = p.mecid ?? 0;
    checkCommitRevealVersion(sn.params.commitRevealVersion);
    const round = revealRound(this.scheduleOf(sn), sn.params.revealPeriodEpochs, this.blockTimeMs, this.now());
    const commit = await timelockEncrypt(encodeTimelockPayload({ hotkey: hk, uids, values, versionKey: p.versionKey }), round, this.beacon.publicKeyHex);
    if (commit.length > MAX_TIMELOCKED_COMMIT_BYTES) {
      throw new ChainError("input", "CommitTooLarge", `commit is ${commit.length} bytes, limit ${MAX_TIMELOCKED_COMMIT_BYTES}`);
    }
    const version = sn.params.commitRevealVersion;
    const res = this.commitTimelockedRaw(hk, { netuid: p.netuid, mecid, commit, revealRound: round, commitRevealVersion: version });
    return { netuid: p.netuid, mecid, hotkey: hk, uids, values, versionKey: p.versionKey, revealRound: round, commitRevealVersion: version, bytes: commit.length, block: res.block };
  }

  /**
   * commit_timelocked_mechanism_weights with raw chain arguments. The pool's checks come first (the BoundedVec
   * size, then `reveal_round >= Drand.LastStoredRound`), then the pallet's. The commit counts for the epoch of
   * the next block, where a real extrinsic sent now is included.
   */
  commitTimelockedRaw(
    hotkeyAddress: string,
    a: { netuid: number; mecid?: number; commit: Uint8Array; revealRound: number; commitRevealVersion: number },
  ): TxResult {
    if (a.commit.length > MAX_TIMELOCKED_COMMIT_BYTES) {
      throw new ChainError("invalid-transaction", "CommitTooLarge", `commit is ${a.commit.length} bytes, BoundedVec<u8, ${MAX_TIMELOCKED_COMMIT_BYTES}>`);
    }
    if (!Number.isSafeInteger(a.revealRound) || a.revealRound < this.lastStoredRound) {
      throw new ChainError("invalid-transaction", "InvalidRevealRound", `reveal_round ${a.revealRound} < last stored round ${this.lastStoredRound}`, { custom: 15 });
    }
    const sn = this.subnet(a.netuid);
    if ((a.mecid ?? 0) !== 0) fail("MechanismDoesNotExist", `mechanism ${a.mecid} on subnet ${a.netuid}`);
    if (a.commitRevealVersion !== sn.params.commitRevealVersion) {
      fail("IncorrectCommitRevealVersion", `version ${a.commitRevealVersion}, chain expects ${sn.params.commitRevealVersion}`);
    }
    if (!sn.params.commitRevealEnabled) fail("CommitRevealDisabled", `subnet ${a.netuid} does not use commit-reveal`);
    const hk = ss58(hotkeyAddress, "hotkey");
    const n = this.neuronByHotkey(sn, hk);
    if (!n) fail("HotKeyNotRegisteredInSubNet", `hotkey not registered on subnet ${a.netuid}`);
    if (!this.rateLimitOk(sn, n)) fail("CommittingWeightsTooFast", this.rateMessage(sn, n));
    const pending = sn.timelocked.filter((c) => c.hotkey === hk).length;
    if (pending >= MAX_UNREVEALED_COMMITS) fail("TooManyUnrevealedCommits", `${pending} unrevealed commits`);
    const block = this.block + 1;
    const epoch = epochIndexAt(this.scheduleOf(sn), block);
    sn.timelocked.push({ hotkey: hk, epoch, block, commit: new Uint8Array(a.commit), revealRound: a.revealRound });
    n.lastUpdate = this.block;
    return this.included("SubtensorModule.TimelockedWeightsCommitted");
  }

  async submitWeights(hotkey: ChainSigner, p: SetWeightsParams): Promise<WeightSubmission> {
    return submitWeights(this, hotkey, p);
  }

  async burnedRegister(coldkey: ChainSigner, p: BurnedRegisterParams): Promise<RegisterResult> {
    const cold = ss58(coldkey.address, "coldkey");
    const uid = this.register(p.netuid, ss58(p.hotkey, "hotkey"), cold, true);
    return { ...this.included("SubtensorModule.NeuronRegistered"), uid };
  }

  async close(): Promise<void> {
    this.stop();
  }

  // ---- rules ----

  /**
   * subtensor's reveal of timelocked commits at the start of a block: commits of epochs before the revealing
   * one are dropped; those of the revealing epoch whose pulse is on chain are decrypted, checked (the payload's
   * hotkey must be the committer) and applied with the weight checks; the rest wait for their pulse.
   */
  private revealTimelocked(sn: Subnet): void {
    if (sn.timelocked.length === 0) return;
    const cur = epochIndexAt(this.scheduleOf(sn), this.block);
    const revealing = cur - sn.params.revealPeriodEpochs;
    const keep: PendingTimelocked[] = [];
    for (const c of sn.timelocked) {
      const report = (outcome: string) =>
        this.emit("timelocked-reveal", { netuid: sn.netuid, hotkey: c.hotkey, revealRound: c.revealRound, block: this.block, outcome } satisfies TimelockedRevealEvent);
      if (c.epoch < revealing) {
        report("Expired");
        continue;
      }
      const pulseStored = c.revealRound <= this.lastStoredRound && c.revealRound > this.lastStoredRound - PULSE_RETENTION_ROUNDS;
      if (c.epoch > revealing || !pulseStored) {
        keep.push(c);
        continue;
      }
      const plain = timelockDecrypt(c.commit, this.beacon.sign(c.revealRound));
      const payload = plain ? decodeTimelockPayload(plain) : null;
      if (!payload) {
        report(plain ? "PayloadDecodeFailed" : "DecryptFailed");
        continue;
      }
      if (encodeAddress(payload.hotkey, 42) !== c.hotkey) {
        report("HotkeyMismatch");
        continue;
      }
      try {
        // subtensor applies it with do_set_mechanism_weights: every set_weights check, the rate limit included.
        this.applyWeights(sn, c.hotkey, { netuid: sn.netuid, uids: payload.uids, values: payload.values, versionKey: Number(payload.versionKey) }, false);
        report("revealed");
      } catch (e) {
        if (!(e instanceof ChainError)) throw e;
        report(e.code);
      }
    }
    sn.timelocked = keep;
  }

  private register(netuid: number, hotkey: string, coldkey: string, payBurn: boolean): number {
    const sn = this.subnets.get(netuid);
    if (!sn) fail("SubNetworkDoesNotExist", `subnet ${netuid} does not exist`);
    if (!sn.params.registrationAllowed) fail("SubNetRegistrationDisabled", `registration closed on ${netuid}`);
    if (this.neuronByHotkey(sn, hotkey)) fail("HotKeyAlreadyRegisteredInSubNet", `already registered on ${netuid}`);
    if (payBurn && (this.balances.get(coldkey) ?? 0n) < sn.params.burn) {
      fail("NotEnoughBalanceToStake", `burn ${sn.params.burn} rao > balance ${this.balances.get(coldkey) ?? 0n}`);
    }
    const owner = this.owners.get(hotkey);
    if (owner !== undefined && owner !== coldkey) fail("NonAssociatedColdKey", "hotkey belongs to another coldkey");
    let uid = sn.neurons.length;
    if (uid >= sn.params.maxAllowedUids) {
      // Full: replace the lowest-emission neuron past its immunity period (subtensor prunes the same way).
      let best = -1;
      sn.neurons.forEach((n, i) => {
        if (this.block - n.registeredAt < sn.params.immunityPeriod) return;
        if (best < 0 || n.emission < sn.neurons[best]!.emission) best = i;
      });
      if (best < 0) fail("NoNeuronIdAvailable", `subnet ${netuid} is full and every neuron is immune`);
      uid = best;
    }
    if (payBurn) this.balances.set(coldkey, (this.balances.get(coldkey) ?? 0n) - sn.params.burn);
    this.owners.set(hotkey, coldkey);
    sn.neurons[uid] = {
      hotkey,
      coldkey,
      stake: 0n,
      axon: null,
      lastUpdate: 0,
      registeredAt: this.block,
      weights: new Map(),
      incentive: 0,
      dividends: 0,
      emission: 0n,
      validatorPermit: false,
    };
    for (const n of sn.neurons) n.weights.delete(uid);
    return uid;
  }

  private rateLimitOk(sn: Subnet, n: Neuron): boolean {
    return n.lastUpdate === 0 || this.block - n.lastUpdate >= sn.params.weightsRateLimit;
  }

  private rateMessage(sn: Subnet, n: Neuron): string {
    return `last update ${n.lastUpdate}, limit ${sn.params.weightsRateLimit}, now ${this.block}`;
  }

  /** The set_weights checks in subtensor's order (pallets/subtensor/src/subnets/weights.rs). */
  private applyWeights(
    sn: Subnet,
    hotkey: string,
    a: { netuid: number; mecid?: number; uids: readonly number[]; values: readonly number[]; versionKey: number },
    isReveal: boolean,
  ): void {
    const p = sn.params;
    if (a.netuid === 0) fail("CanNotSetRootNetworkWeights", "netuid 0");
    if (a.uids.length !== a.values.length) fail("WeightVecNotEqualSize", `${a.uids.length} uids, ${a.values.length} values`);
    if ((a.mecid ?? 0) !== 0) fail("MechanismDoesNotExist", `mechanism ${a.mecid} on subnet ${a.netuid}`);
    if (a.uids.length > sn.neurons.length) fail("UidsLengthExceedUidsInSubNet", `${a.uids.length} > ${sn.neurons.length}`);
    const uid = sn.neurons.findIndex((n) => n.hotkey === hotkey);
    if (uid < 0) fail("HotKeyNotRegisteredInSubNet", `hotkey not registered on subnet ${a.netuid}`);
    const n = sn.neurons[uid]!;
    const isOwner = sn.ownerHotkey === hotkey;
    if (!isOwner && n.stake < p.stakeThreshold) {
      fail("NotEnoughStakeToSetWeights", `stake ${n.stake} < threshold ${p.stakeThreshold}`);
    }
    if (p.weightsVersionKey !== 0 && a.versionKey < p.weightsVersionKey) {
      fail("IncorrectWeightVersionKey", `version_key ${a.versionKey} < ${p.weightsVersionKey}`);
    }
    if (!isReveal && !this.rateLimitOk(sn, n)) fail("SettingWeightsTooFast", this.rateMessage(sn, n));
    const selfWeightOnly = a.uids.length === 1 && a.uids[0] === uid;
    if (!selfWeightOnly && !isOwner && !n.validatorPermit) fail("NeuronNoValidatorPermit", `uid ${uid} has no permit`);
    if (new Set(a.uids).size !== a.uids.length) fail("DuplicateUids", "uids repeat");
    for (const u of a.uids) {
      if (!Number.isInteger(u) || u < 0 || u >= sn.neurons.length) fail("UidVecContainInvalidOne", `uid ${u} does not exist`);
    }
    const minLen = Math.min(p.minAllowedWeights, sn.neurons.length);
    if (!selfWeightOnly && a.uids.length < minLen) fail("WeightVecLengthIsLow", `${a.uids.length} < ${minLen}`);
    for (const v of a.values) {
      if (!Number.isInteger(v) || v < 0 || v > U16_MAX) throw new ChainError("input", "InvalidU16", `${v}`);
    }
    if (p.maxWeightsLimit !== U16_MAX && !selfWeightOnly) {
      // subtensor's check_vec_max_limited: the largest share of the row must not exceed limit / 65535
      // (compared in integers: max * 65535 <= limit * sum).
      const sum = a.values.reduce((x, y) => x + y, 0);
      const max = Math.max(0, ...a.values);
      if (sum > 0 && max * U16_MAX > p.maxWeightsLimit * sum) {
        fail("MaxWeightExceeded", `largest share ${(max / sum).toFixed(6)} > ${p.maxWeightsLimit}/65535`);
      }
    }
    // Stored max-upscaled (largest = 65535), as the chain does.
    const max = Math.max(0, ...a.values);
    n.weights = new Map(
      a.uids.map((u, i) => [u, max === 0 ? 0 : Math.floor((a.values[i]! * U16_MAX) / max)] as [number, number]),
    );
    n.lastUpdate = this.block;
  }

  private subnet(netuid: number): Subnet {
    const sn = this.subnets.get(netuid);
    if (!sn) fail("SubNetworkDoesNotExist", `subnet ${netuid} does not exist`);
    return sn;
  }

  private neuronByHotkey(sn: Subnet, hotkey: string): Neuron | undefined {
    return sn.neurons.find((n) => n.hotkey === hotkey);
  }

  private included(event: string): TxResult {
    return { block: this.block, events: [event] };
  }
}
