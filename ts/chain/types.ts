// The one chain interface used by miners, validators and the local network. Two implementations:
// SubtensorChain (@polkadot/api against a real node) and DevChain (in memory, same rules, same error names).

/** The part of a @polkadot/keyring `KeyringPair` the chain layer needs (a KeyringPair satisfies it). */
export interface ChainSigner {
  /** SS58 address (prefix 42 on subtensor). */
  readonly address: string;
  /** 32-byte sr25519 public key. */
  readonly publicKey: Uint8Array;
  /** Raw public key bytes; same as publicKey for sr25519. */
  readonly addressRaw: Uint8Array;
  sign(message: Uint8Array, options?: { withType?: boolean }): Uint8Array;
}

/** Axon endpoint as published on chain (serve_axon). `ip` is a dotted quad or an IPv6 string. */
export interface AxonInfo {
  block: number;
  version: number;
  ip: string;
  port: number;
  ipType: 4 | 6;
  protocol: number;
  /** False when ip is 0.0.0.0 / :: or port is 0 (never served). */
  isServing: boolean;
}

/** Metagraph of one subnet: per-uid arrays, all the same length `n`, indexed by uid. */
export interface Metagraph {
  netuid: number;
  /** Block the snapshot was read at. */
  block: number;
  n: number;
  uids: number[];
  hotkeys: string[];
  coldkeys: string[];
  /** Weight-setting stake in tokens (alpha + tao x TaoWeight), as the SDK's `S`. */
  stakes: number[];
  /** The same stake in rao (1e-9 token), exact. */
  stakesRao: bigint[];
  active: boolean[];
  validatorPermits: boolean[];
  axons: AxonInfo[];
  /** Normalised to [0, 1] (u16 / 65535). */
  incentives: number[];
  /** Normalised to [0, 1] (u16 / 65535). */
  dividends: number[];
  /** Emission per tempo in tokens (rao / 1e9). */
  emissions: number[];
  /** Block of the neuron's last weight set (or commit). */
  lastUpdate: number[];
  /** Which read path produced this snapshot (for logs and tests). */
  source: "selective-metagraph" | "neurons-lite" | "devchain";
}

/** Subnet hyperparameters that the chain's weight, serving and registration rules read. */
export interface Hyperparameters {
  netuid: number;
  tempo: number;
  /** Current number of registered uids (SubnetworkN). */
  subnetworkN: number;
  maxAllowedUids: number;
  minAllowedWeights: number;
  /** u16 cap on any single max-upscaled weight (65535 = no cap). */
  maxWeightsLimit: number;
  weightsRateLimit: number;
  /** 0 disables the check; otherwise a weights extrinsic needs version_key >= this. */
  weightsVersionKey: number;
  servingRateLimit: number;
  immunityPeriod: number;
  maxAllowedValidators: number;
  commitRevealEnabled: boolean;
  revealPeriodEpochs: number;
  /**
   * CommitRevealWeightsVersion (chain-wide storage, default 4): what a timelocked commit must carry; 3 and up
   * mean timelocked commits, below 3 hash commits.
   */
  commitRevealVersion: number;
  /** Minimum stake (rao) to set weights. */
  stakeThreshold: bigint;
  /** Registration burn (rao). */
  burn: bigint;
  registrationAllowed: boolean;
}

export interface ServeAxonParams {
  netuid: number;
  ip: string;
  port: number;
  /** Sent as the axon version (SDK: version_as_int). Default 0. */
  version?: number;
  /** SDK sends 4. */
  protocol?: number;
}

export interface SetWeightsParams {
  netuid: number;
  uids: readonly number[];
  /** Non-negative floats; converted exactly as the SDK does (float32, max-upscale, round half even). */
  weights: readonly number[];
  versionKey: number;
  /** Mechanism id (default 0). */
  mecid?: number;
}

/** What commitWeights returns and revealWeights needs: keep it until the reveal window opens. */
export interface WeightCommit {
  netuid: number;
  mecid: number;
  hotkey: string;
  uids: number[];
  /** Already converted u16 values (what is hashed and revealed). */
  values: number[];
  salt: number[];
  versionKey: number;
  /** 0x-hex blake2b-256 of the SCALE tuple. */
  hash: string;
  /** Block at which the commit was included. */
  block: number;
}

/** What commitTimelockedWeights returns. Nothing to keep: the chain decrypts and applies it by itself. */
export interface TimelockedCommit {
  netuid: number;
  mecid: number;
  hotkey: string;
  uids: number[];
  values: number[];
  versionKey: number;
  /** Drand round whose pulse decrypts it (the chain reveals it in the reveal epoch once that pulse is stored). */
  revealRound: number;
  commitRevealVersion: number;
  /** Ciphertext size in bytes (limit 5000). */
  bytes: number;
  /** Block at which the commit was included. */
  block: number;
}

/** Outcome of `submitWeights`: which of the three paths the subnet's rules chose. */
export type WeightSubmission =
  | { mode: "set"; tx: TxResult }
  /** Hash commit: keep it and reveal it (revealPending) in its reveal epoch. */
  | { mode: "commit"; commit: WeightCommit }
  /** Timelocked commit: the chain reveals it itself. */
  | { mode: "timelocked"; commit: TimelockedCommit };

export interface BurnedRegisterParams {
  netuid: number;
  /** SS58 hotkey to register; the signer is the paying coldkey. */
  hotkey: string;
}

/** Outcome of an included extrinsic. */
export interface TxResult {
  block: number;
  blockHash?: string;
  /** Event names emitted by the extrinsic, e.g. "SubtensorModule.WeightsSet". */
  events: string[];
}

export interface RegisterResult extends TxResult {
  uid: number;
}

export interface Chain {
  /** Current best block number. */
  currentBlock(): Promise<number>;
  metagraph(netuid: number): Promise<Metagraph>;
  hyperparameters(netuid: number): Promise<Hyperparameters>;
  /** WeightsVersionKey of the subnet. */
  versionKey(netuid: number): Promise<number>;
  /** Uid of a hotkey on a subnet, or null when not registered. */
  uidOf(netuid: number, hotkey: string): Promise<number | null>;
  /** Hotkey-signed. Skips the extrinsic (returns null) when the chain already has the same endpoint. */
  serveAxon(hotkey: ChainSigner, params: ServeAxonParams): Promise<TxResult | null>;
  /** Hotkey-signed; fails with CommitRevealEnabled when the subnet uses commit-reveal. */
  setWeights(hotkey: ChainSigner, params: SetWeightsParams): Promise<TxResult>;
  /** Hash commit (commit-reveal v2). Salt is random unless given. */
  commitWeights(hotkey: ChainSigner, params: SetWeightsParams & { salt?: number[] }): Promise<WeightCommit>;
  revealWeights(hotkey: ChainSigner, commit: WeightCommit): Promise<TxResult>;
  /**
   * Timelocked commit (commit_timelocked_mechanism_weights, CRv4): the weights encrypted to the drand round
   * that opens a few blocks into the reveal epoch, carrying the chain's CommitRevealWeightsVersion.
   */
  commitTimelockedWeights(hotkey: ChainSigner, params: SetWeightsParams): Promise<TimelockedCommit>;
  /**
   * Set weights the way the subnet's hyperparameters require (what a validator calls): set_weights when
   * commit-reveal is off, a timelocked commit when it is on (CommitRevealWeightsVersion >= 3), a hash commit
   * otherwise. A "commit" result must be revealed later with revealPending; the other two need nothing more.
   */
  submitWeights(hotkey: ChainSigner, params: SetWeightsParams): Promise<WeightSubmission>;
  /** Coldkey-signed; pays the subnet's burn. */
  burnedRegister(coldkey: ChainSigner, params: BurnedRegisterParams): Promise<RegisterResult>;
  close(): Promise<void>;
}
