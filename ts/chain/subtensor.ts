// Chain implementation against a real subtensor node through @polkadot/api. Reads go through runtime APIs
// (state_call) and raw storage keys that we decode ourselves (decode.ts); writes are SubtensorModule calls
// signed with subtensor's extension layout (scale.ts), refused when the live metadata disagrees with it.
import { ApiPromise, WsProvider } from "@polkadot/api";
import type { ProviderInterface } from "@polkadot/rpc-provider/types";
import type { SubmittableExtrinsic } from "@polkadot/api/types";
import type { ISubmittableResult } from "@polkadot/types/types";
import { u8aToHex } from "@polkadot/util";
import { ChainError, parsePoolRejection } from "./errors.js";
import { isTransientConnectionError, withBackoff, type BackoffOptions } from "./backoff.js";
import { keepConnected } from "./reconnect.js";
import { inspectExtensions, signingRefusal, type ExtensionReport } from "./extensions.js";
import { HYPERPARAM_INDEXES, NEURON_INDEXES, SUBTENSOR_SIGNED_EXTENSIONS, SUBTENSOR_TYPES } from "./scale.js";
import {
  decodeAxon,
  decodeHyperparameters,
  decodeNeuronsLite,
  decodeSelectiveMetagraph,
  encodeSelectiveArgs,
  hexResult,
  hotkeyMapStorageKey,
  netuidMapStorageKey,
  plainStorageKey,
} from "./decode.js";
import {
  burnedRegisterCall,
  commitTimelockedCall,
  commitWeightsCall,
  revealWeightsCall,
  serveAxonCall,
  setWeightsCall,
  type CallSection,
} from "./calls.js";
import { dispatchErrorToChainError } from "./dispatch-error.js";
import { commitHash, randomSalt } from "./commit.js";
import { convertWeightsForEmit } from "./weights.js";
import { ipToInt, intToIp } from "./axon-ip.js";
import { buildTimelockedCommit, checkCommitRevealVersion, type EpochSchedule } from "./timelock.js";
import { submitWeights } from "./weight-setter.js";
import type {
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

export const FINNEY_ENDPOINT = "wss://entrypoint-finney.opentensor.ai:443";

export interface SubtensorChainOptions {
  /** WebSocket endpoint (default finney). Ignored when `provider` is given. */
  endpoint?: string;
  /** A ready provider (tests, custom transports). */
  provider?: ProviderInterface;
  /** Retries for reads and (re)connects; default 5. */
  retries?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  /** Per-attempt limit for the initial connection and metadata load; default 30000. */
  connectTimeoutMs?: number;
  /** How long a submitted extrinsic may take to reach a block; default 120000 (10 blocks). */
  inclusionTimeoutMs?: number;
  /** Mortal era length in blocks (SDK default 128). */
  eraPeriod?: number;
  /** Seconds per block for reveal rounds, in ms (12000 on finney/testnet; 250 on fast-block localnets). */
  blockTimeMs?: number;
  /** Called on retries and reconnects (wire to pino). */
  onEvent?: (event: string, details: Record<string, unknown>) => void;
}

type Tx = SubmittableExtrinsic<"promise">;

export class SubtensorChain implements Chain {
  readonly extensions: ExtensionReport;
  private readonly backoff: BackoffOptions;
  private keeper: { stop(): void } | null = null;

  private constructor(
    readonly api: ApiPromise,
    private readonly provider: ProviderInterface,
    private readonly opts: SubtensorChainOptions,
  ) {
    this.backoff = {
      retries: opts.retries ?? 5,
      initialMs: opts.backoffInitialMs ?? 500,
      maxMs: opts.backoffMaxMs ?? 30_000,
      isRetryable: isTransientConnectionError,
      onRetry: (err, attempt, delayMs) => opts.onEvent?.("retry", { attempt, delayMs, error: String(err) }),
    };
    this.extensions = inspectExtensions(api.runtimeMetadata);
  }

  /**
   * Connect (retrying with backoff: each attempt a fresh socket, bounded by connectTimeoutMs), load metadata,
   * register subtensor's types and extensions, check the extension layout, and keep the socket connected.
   */
  static async connect(opts: SubtensorChainOptions = {}): Promise<SubtensorChain> {
    const create = (provider: ProviderInterface) =>
      ApiPromise.create({
        provider,
        types: SUBTENSOR_TYPES as unknown as Record<string, Record<string, string>>,
        signedExtensions: SUBTENSOR_SIGNED_EXTENSIONS,
        noInitWarn: true,
        throwOnConnect: true,
      });
    if (opts.provider) return new SubtensorChain(await create(opts.provider), opts.provider, opts);

    const endpoint = opts.endpoint ?? FINNEY_ENDPOINT;
    const timeoutMs = opts.connectTimeoutMs ?? 30_000;
    const { api, provider } = await withBackoff(
      async () => {
        // autoConnect off: reconnects are ours (keepConnected), with growing delays.
        const provider = new WsProvider(endpoint, false);
        let timer: NodeJS.Timeout | undefined;
        try {
          await provider.connect();
          const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new ChainError("connection", "ConnectTimeout", `${endpoint}: no answer in ${timeoutMs} ms`)), timeoutMs);
          });
          const api = await Promise.race([create(provider), timeout]);
          return { api, provider };
        } catch (err) {
          await provider.disconnect().catch(() => undefined);
          throw err instanceof ChainError ? err : new ChainError("connection", "ConnectFailed", `${endpoint}: ${String(err)}`);
        } finally {
          clearTimeout(timer);
        }
      },
      {
        retries: opts.retries ?? 5,
        initialMs: opts.backoffInitialMs ?? 500,
        maxMs: opts.backoffMaxMs ?? 30_000,
        onRetry: (err, attempt, delayMs) => opts.onEvent?.("connect-retry", { attempt, delayMs, error: String(err) }),
      },
    );
    const chain = new SubtensorChain(api, provider, opts);
    chain.keeper = keepConnected(provider, {
      initialMs: opts.backoffInitialMs ?? 500,
      maxMs: opts.backoffMaxMs ?? 30_000,
      onEvent: (event, details) => opts.onEvent?.(event, details),
    });
    return chain;
  }

  // ---- reads ----

  private async rpc<T>(method: string, params: unknown[]): Promise<T> {
    return withBackoff(() => this.provider.send<T>(method, params), this.backoff);
  }

  private async stateCall(method: string, args: Uint8Array): Promise<Uint8Array> {
    return hexResult(method, await this.rpc<unknown>("state_call", [method, u8aToHex(args)]));
  }

  private async storage(key: string, at?: string): Promise<Uint8Array | null> {
    const hex = await this.rpc<unknown>("state_getStorage", at === undefined ? [key] : [key, at]);
    return hex === null ? null : hexResult("state_getStorage", hex);
  }

  /** CommitRevealWeightsVersion (plain u16; the chain's default 4 when unset). */
  private async commitRevealVersion(at?: string): Promise<number> {
    const raw = await this.storage(plainStorageKey("CommitRevealWeightsVersion"), at);
    return raw ? this.api.registry.createType("u16", raw).toNumber() : 4;
  }

  /**
   * The epoch storage the SDK reads before a timelocked commit, all at one pinned block (the head), plus
   * RevealPeriodEpochs and CommitRevealWeightsVersion at that block. Absent values read as the chain's
   * defaults (Tempo 360, RevealPeriodEpochs 1, version 4, the rest 0).
   */
  async epochSchedule(netuid: number): Promise<{ schedule: EpochSchedule; revealPeriodEpochs: number; commitRevealVersion: number }> {
    // Before dynamic tempo (mid 2026) these items did not exist and epochs followed the block-number formula:
    // reading them as 0 would predict the wrong reveal epoch, so the commit would silently never be revealed.
    const query = (this.api.query as unknown as Record<string, Record<string, unknown> | undefined>).subtensorModule;
    const missing = ["lastEpochBlock", "pendingEpochAt", "subnetEpochIndex"].filter((k) => !query?.[k]);
    if (missing.length > 0) {
      throw new ChainError("unsupported-extension", "StorageNotInRuntime", `runtime lacks SubtensorModule.${missing.join(", ")}: no stateful epoch schedule to predict reveal rounds from`);
    }
    const head = await this.currentBlock();
    const hash = await this.rpc<unknown>("chain_getBlockHash", [head]);
    if (typeof hash !== "string" || !/^0x[0-9a-f]{64}$/i.test(hash)) {
      throw new ChainError("decode", "UnexpectedChainValue", `chain_getBlockHash(${head}) returned ${String(hash)}`);
    }
    const reg = this.api.registry;
    const u64 = async (item: string, hasher: "Identity" | "Twox64Concat", fallback: number) => {
      const raw = await this.storage(netuidMapStorageKey(reg, item, netuid, hasher), hash);
      const v = raw ? reg.createType("u64", raw).toBigInt() : BigInt(fallback);
      if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ChainError("decode", "UnexpectedChainValue", `${item} ${v}`);
      return Number(v);
    };
    const tempoRaw = await this.storage(netuidMapStorageKey(reg, "Tempo", netuid, "Identity"), hash);
    const [lastEpochBlock, pendingEpochAt, subnetEpochIndex, blocksSinceLastStep, revealPeriodEpochs, commitRevealVersion] = await Promise.all([
      u64("LastEpochBlock", "Identity", 0),
      u64("PendingEpochAt", "Identity", 0),
      u64("SubnetEpochIndex", "Identity", 0),
      u64("BlocksSinceLastStep", "Identity", 0),
      u64("RevealPeriodEpochs", "Twox64Concat", 1),
      this.commitRevealVersion(hash),
    ]);
    const tempo = tempoRaw ? reg.createType("u16", tempoRaw).toNumber() : 360;
    return {
      schedule: { lastEpochBlock, pendingEpochAt, subnetEpochIndex, tempo, blocksSinceLastStep, currentBlock: head },
      revealPeriodEpochs,
      commitRevealVersion,
    };
  }

  async currentBlock(): Promise<number> {
    const header = await this.rpc<{ number?: unknown } | null>("chain_getHeader", []);
    const n = header?.number;
    if (typeof n !== "string" || !/^0x[0-9a-f]+$/i.test(n)) {
      throw new ChainError("decode", "UnexpectedChainValue", `chain_getHeader number ${String(n)}`);
    }
    return Number(BigInt(n));
  }

  /** One get_selective_metagraph call; falls back to get_neurons_lite when the runtime lacks it or it fails. */
  async metagraph(netuid: number): Promise<Metagraph> {
    const block = await this.currentBlock();
    const reg = this.api.registry;
    try {
      const bytes = await this.stateCall(
        "SubnetInfoRuntimeApi_get_selective_metagraph",
        encodeSelectiveArgs(reg, netuid, NEURON_INDEXES),
      );
      return decodeSelectiveMetagraph(reg, bytes, block);
    } catch (err) {
      if (err instanceof ChainError && err.code === "SubNetworkDoesNotExist") throw err;
      this.opts.onEvent?.("metagraph-fallback", { netuid, error: String(err) });
      const bytes = await this.stateCall("NeuronInfoRuntimeApi_get_neurons_lite", reg.createType("u16", netuid).toU8a());
      return decodeNeuronsLite(reg, bytes, netuid, block);
    }
  }

  async hyperparameters(netuid: number): Promise<Hyperparameters> {
    const reg = this.api.registry;
    const [bytes, threshold, version] = await Promise.all([
      this.stateCall("SubnetInfoRuntimeApi_get_selective_metagraph", encodeSelectiveArgs(reg, netuid, HYPERPARAM_INDEXES)),
      this.storage(plainStorageKey("StakeThreshold")),
      this.commitRevealVersion(),
    ]);
    const stakeThreshold = threshold ? reg.createType("u64", threshold).toBigInt() : 0n;
    return decodeHyperparameters(reg, bytes, stakeThreshold, version);
  }

  async versionKey(netuid: number): Promise<number> {
    return (await this.hyperparameters(netuid)).weightsVersionKey;
  }

  async uidOf(netuid: number, hotkey: string): Promise<number | null> {
    const raw = await this.storage(hotkeyMapStorageKey(this.api.registry, "Uids", netuid, hotkey));
    return raw === null ? null : this.api.registry.createType("u16", raw).toNumber();
  }

  // ---- writes ----

  private section(): CallSection<Tx> {
    const s = (this.api.tx as unknown as Record<string, CallSection<Tx> | undefined>).subtensorModule;
    if (!s) throw new ChainError("unsupported-extension", "CallNotInRuntime", "runtime has no SubtensorModule");
    return s;
  }

  /** Sign, submit and wait for inclusion; pallet errors and pool rejections come back as ChainError. */
  private async submit(tx: Tx, signer: ChainSigner): Promise<TxResult> {
    const refusal = signingRefusal(this.extensions);
    if (refusal) throw new ChainError("unsupported-extension", "UnsupportedSignedExtension", refusal);
    const timeoutMs = this.opts.inclusionTimeoutMs ?? 120_000;
    return new Promise<TxResult>((resolve, reject) => {
      let unsub: (() => void) | undefined;
      let finished = false;
      const finish = (outcome: () => void) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        unsub?.();
        outcome();
      };
      // A transaction that never reaches a block (dropped by a node that then goes quiet) must not hang us.
      const timer = setTimeout(
        () => finish(() => reject(new ChainError("connection", "InclusionTimeout", `not in a block after ${timeoutMs} ms`))),
        timeoutMs,
      );
      tx.signAndSend(signer, { era: this.opts.eraPeriod ?? 128, nonce: -1 }, (result: ISubmittableResult) => {
        const { status } = result;
        if (status.isInvalid || status.isDropped || status.isUsurped) {
          finish(() => reject(new ChainError("invalid-transaction", status.type, `transaction ${status.type.toLowerCase()}`)));
          return;
        }
        if (!status.isInBlock) return;
        if (result.dispatchError) {
          const err = dispatchErrorToChainError(this.api.registry, result.dispatchError);
          finish(() => reject(err));
          return;
        }
        const blockHash = status.asInBlock.toHex();
        const events = result.events.map(({ event }) => `${event.section[0]!.toUpperCase()}${event.section.slice(1)}.${event.method}`);
        this.api.rpc.chain
          .getHeader(blockHash)
          .then((h) => finish(() => resolve({ block: h.number.toNumber(), blockHash, events })))
          .catch((e: unknown) => finish(() => reject(new ChainError("connection", "HeaderUnavailable", String(e)))));
      })
        .then((u) => {
          unsub = u;
          if (finished) u();
        })
        .catch((e: unknown) => {
          const msg = e instanceof Error ? e.message : String(e);
          finish(() => reject(parsePoolRejection(msg) ?? new ChainError("connection", "SubmitFailed", msg)));
        });
    });
  }

  async serveAxon(hotkey: ChainSigner, p: ServeAxonParams): Promise<TxResult | null> {
    const version = p.version ?? 0;
    const { value, ipType } = ipToInt(p.ip);
    // Skip an identical re-serve, as the SDK does, so we never trip ServingRateLimitExceeded for nothing.
    const raw = await this.storage(hotkeyMapStorageKey(this.api.registry, "Axons", p.netuid, hotkey.address));
    if (raw) {
      const cur = decodeAxon(this.api.registry.createType("AxonInfo", raw).toJSON());
      if (cur.ip === intToIp(value).ip && cur.port === p.port && cur.version === version && cur.ipType === ipType) return null;
    }
    const tx = serveAxonCall(this.section(), { netuid: p.netuid, ip: p.ip, port: p.port, version, protocol: p.protocol ?? 4 });
    return this.submit(tx, hotkey);
  }

  async setWeights(hotkey: ChainSigner, p: SetWeightsParams): Promise<TxResult> {
    const { uids, values } = convertWeightsForEmit(p.uids, p.weights);
    if (uids.length === 0) throw new ChainError("input", "EmptyWeights", "every weight is zero");
    const tx = setWeightsCall(this.section(), { netuid: p.netuid, mecid: p.mecid ?? 0, uids, values, versionKey: p.versionKey });
    return this.submit(tx, hotkey);
  }

  async commitWeights(hotkey: ChainSigner, p: SetWeightsParams & { salt?: number[] }): Promise<WeightCommit> {
    const { uids, values } = convertWeightsForEmit(p.uids, p.weights);
    if (uids.length === 0) throw new ChainError("input", "EmptyWeights", "every weight is zero");
    const salt = p.salt ?? randomSalt();
    const mecid = p.mecid ?? 0;
    const hash = commitHash({ hotkey: hotkey.address, netuid: p.netuid, mecid, uids, values, salt, versionKey: p.versionKey });
    const res = await this.submit(commitWeightsCall(this.section(), { netuid: p.netuid, mecid, hash }), hotkey);
    return { netuid: p.netuid, mecid, hotkey: hotkey.address, uids, values, salt, versionKey: p.versionKey, hash, block: res.block };
  }

  async revealWeights(hotkey: ChainSigner, c: WeightCommit): Promise<TxResult> {
    const tx = revealWeightsCall(this.section(), {
      netuid: c.netuid,
      mecid: c.mecid,
      uids: c.uids,
      values: c.values,
      salt: c.salt,
      versionKey: c.versionKey,
    });
    return this.submit(tx, hotkey);
  }

  async commitTimelockedWeights(hotkey: ChainSigner, p: SetWeightsParams): Promise<TimelockedCommit> {
    const { uids, values } = convertWeightsForEmit(p.uids, p.weights);
    if (uids.length === 0) throw new ChainError("input", "EmptyWeights", "every weight is zero");
    const mecid = p.mecid ?? 0;
    const { schedule, revealPeriodEpochs, commitRevealVersion } = await this.epochSchedule(p.netuid);
    checkCommitRevealVersion(commitRevealVersion);
    const { commit, revealRound } = await buildTimelockedCommit(
      { hotkey: hotkey.publicKey, uids, values, versionKey: p.versionKey },
      schedule,
      revealPeriodEpochs,
      { blockTimeMs: this.opts.blockTimeMs ?? 12_000 },
    );
    const tx = commitTimelockedCall(this.section(), { netuid: p.netuid, mecid, commit, revealRound, commitRevealVersion });
    const res = await this.submit(tx, hotkey);
    return {
      netuid: p.netuid,
      mecid,
      hotkey: hotkey.address,
      uids,
      values,
      versionKey: p.versionKey,
      revealRound,
      commitRevealVersion,
      bytes: commit.length,
      block: res.block,
    };
  }

  async submitWeights(hotkey: ChainSigner, p: SetWeightsParams): Promise<WeightSubmission> {
    return submitWeights(this, hotkey, p);
  }

  async burnedRegister(coldkey: ChainSigner, p: BurnedRegisterParams): Promise<RegisterResult> {
    const res = await this.submit(burnedRegisterCall(this.section(), p), coldkey);
    const uid = await this.uidOf(p.netuid, p.hotkey);
    if (uid === null) throw new ChainError("decode", "UnexpectedChainValue", "registered but no uid found");
    return { ...res, uid };
  }

  async close(): Promise<void> {
    this.keeper?.stop();
    await this.api.disconnect();
  }
}
