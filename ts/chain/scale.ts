// SCALE type definitions for the subtensor values we read and write, in @polkadot/types' JSON form, plus the
// signed extensions subtensor adds. Field order follows pallets/subtensor/src/rpc_info/*.rs: order is the
// encoding, so never reorder.
import { TypeRegistry } from "@polkadot/types";
import type { ExtDef } from "@polkadot/types/extrinsic/signedExtensions/types";

export const SUBTENSOR_TYPES = {
  AxonInfo: {
    block: "u64",
    version: "u32",
    ip: "u128",
    port: "u16",
    ip_type: "u8",
    protocol: "u8",
    placeholder1: "u8",
    placeholder2: "u8",
  },
  PrometheusInfo: {
    block: "u64",
    version: "u32",
    ip: "u128",
    port: "u16",
    ip_type: "u8",
  },
  NeuronInfoLite: {
    hotkey: "AccountId32",
    coldkey: "AccountId32",
    uid: "Compact<u16>",
    netuid: "Compact<u16>",
    active: "bool",
    axon_info: "AxonInfo",
    prometheus_info: "PrometheusInfo",
    stake: "Vec<(AccountId32, Compact<u64>)>",
    rank: "Compact<u16>",
    emission: "Compact<u64>",
    incentive: "Compact<u16>",
    consensus: "Compact<u16>",
    trust: "Compact<u16>",
    validator_trust: "Compact<u16>",
    dividends: "Compact<u16>",
    last_update: "Compact<u64>",
    validator_permit: "bool",
    pruning_score: "Compact<u16>",
  },
  // The two identity layouts are never requested (indexes 3 and 54): their fields are a best reading of the
  // chain source, unverified, and only needed to keep the struct's shape.
  SubnetIdentityV3: {
    subnet_name: "Bytes",
    github_repo: "Bytes",
    subnet_contact: "Bytes",
    subnet_url: "Bytes",
    discord: "Bytes",
    description: "Bytes",
    logo_url: "Bytes",
    additional: "Bytes",
  },
  ChainIdentityOfV2: {
    name: "Bytes",
    url: "Bytes",
    github_repo: "Bytes",
    image: "Bytes",
    discord: "Bytes",
    description: "Bytes",
    additional: "Bytes",
  },
  /** I96F32 arrives as its raw 128-bit representation. */
  SubtensorI96F32: { bits: "i128" },
  // Each field is an Option so the chain returns only the indexes asked for (SelectiveMetagraphIndex).
  SelectiveMetagraph: {
    netuid: "Compact<u16>", // 0
    name: "Option<Vec<Compact<u8>>>",
    symbol: "Option<Vec<Compact<u8>>>",
    identity: "Option<Option<SubnetIdentityV3>>",
    network_registered_at: "Option<Compact<u64>>",
    owner_hotkey: "Option<AccountId32>", // 5
    owner_coldkey: "Option<AccountId32>",
    block: "Option<Compact<u64>>",
    tempo: "Option<Compact<u16>>",
    last_step: "Option<Compact<u64>>",
    blocks_since_last_step: "Option<Compact<u64>>", // 10
    subnet_emission: "Option<Compact<u64>>",
    alpha_in: "Option<Compact<u64>>",
    alpha_out: "Option<Compact<u64>>",
    tao_in: "Option<Compact<u64>>",
    alpha_out_emission: "Option<Compact<u64>>", // 15
    alpha_in_emission: "Option<Compact<u64>>",
    tao_in_emission: "Option<Compact<u64>>",
    pending_alpha_emission: "Option<Compact<u64>>",
    pending_root_emission: "Option<Compact<u64>>",
    subnet_volume: "Option<Compact<u128>>", // 20
    moving_price: "Option<SubtensorI96F32>",
    rho: "Option<Compact<u16>>",
    kappa: "Option<Compact<u16>>",
    min_allowed_weights: "Option<Compact<u16>>",
    max_weights_limit: "Option<Compact<u16>>", // 25
    weights_version: "Option<Compact<u64>>",
    weights_rate_limit: "Option<Compact<u64>>",
    activity_cutoff: "Option<Compact<u16>>",
    max_validators: "Option<Compact<u16>>",
    num_uids: "Option<Compact<u16>>", // 30
    max_uids: "Option<Compact<u16>>",
    burn: "Option<Compact<u64>>",
    difficulty: "Option<Compact<u64>>",
    registration_allowed: "Option<bool>",
    pow_registration_allowed: "Option<bool>", // 35
    immunity_period: "Option<Compact<u16>>",
    min_difficulty: "Option<Compact<u64>>",
    max_difficulty: "Option<Compact<u64>>",
    min_burn: "Option<Compact<u64>>",
    max_burn: "Option<Compact<u64>>", // 40
    adjustment_alpha: "Option<Compact<u64>>",
    adjustment_interval: "Option<Compact<u16>>",
    target_regs_per_interval: "Option<Compact<u16>>",
    max_regs_per_block: "Option<Compact<u16>>",
    serving_rate_limit: "Option<Compact<u64>>", // 45
    commit_reveal_weights_enabled: "Option<bool>",
    commit_reveal_period: "Option<Compact<u64>>",
    liquid_alpha_enabled: "Option<bool>",
    alpha_high: "Option<Compact<u16>>",
    alpha_low: "Option<Compact<u16>>", // 50
    bonds_moving_avg: "Option<Compact<u64>>",
    hotkeys: "Option<Vec<AccountId32>>",
    coldkeys: "Option<Vec<AccountId32>>",
    identities: "Option<Vec<Option<ChainIdentityOfV2>>>",
    axons: "Option<Vec<AxonInfo>>", // 55
    active: "Option<Vec<bool>>",
    validator_permit: "Option<Vec<bool>>",
    pruning_score: "Option<Vec<Compact<u16>>>",
    last_update: "Option<Vec<Compact<u64>>>",
    emission: "Option<Vec<Compact<u64>>>", // 60
    dividends: "Option<Vec<Compact<u16>>>",
    incentives: "Option<Vec<Compact<u16>>>",
    consensus: "Option<Vec<Compact<u16>>>",
    trust: "Option<Vec<Compact<u16>>>",
    rank: "Option<Vec<Compact<u16>>>", // 65
    block_at_registration: "Option<Vec<Compact<u64>>>",
    alpha_stake: "Option<Vec<Compact<u64>>>",
    tao_stake: "Option<Vec<Compact<u64>>>",
    total_stake: "Option<Vec<Compact<u64>>>",
    tao_dividends_per_hotkey: "Option<Vec<(AccountId32, Compact<u64>)>>", // 70
    alpha_dividends_per_hotkey: "Option<Vec<(AccountId32, Compact<u64>)>>",
    validators: "Option<Vec<Compact<u16>>>",
    commitments: "Option<Vec<(AccountId32, Vec<Compact<u8>>)>>",
  },
} as const;

/** SelectiveMetagraphIndex values we request (Metagraph field order). */
export const METAGRAPH_INDEX = {
  netuid: 0,
  block: 7,
  tempo: 8,
  minAllowedWeights: 24,
  maxWeightsLimit: 25,
  weightsVersion: 26,
  weightsRateLimit: 27,
  maxValidators: 29,
  numUids: 30,
  maxUids: 31,
  burn: 32,
  registrationAllowed: 34,
  immunityPeriod: 36,
  servingRateLimit: 45,
  commitRevealEnabled: 46,
  commitRevealPeriod: 47,
  hotkeys: 52,
  coldkeys: 53,
  axons: 55,
  active: 56,
  validatorPermit: 57,
  lastUpdate: 59,
  emission: 60,
  dividends: 61,
  incentives: 62,
  alphaStake: 67,
  taoStake: 68,
  totalStake: 69,
} as const;

export const NEURON_INDEXES: number[] = [0, 7, 52, 53, 55, 56, 57, 59, 60, 61, 62, 67, 68, 69];
export const HYPERPARAM_INDEXES: number[] = [0, 8, 24, 25, 26, 27, 29, 30, 31, 32, 34, 36, 45, 46, 47];

const empty = { extrinsic: {}, payload: {} };

/**
 * Subtensor's own transaction extensions. @polkadot/types 16 does not know them and would treat them all as
 * zero-sized; ChargeTransactionPaymentWrapper carries the standard compact tip, the rest encode nothing.
 */
export const SUBTENSOR_SIGNED_EXTENSIONS: ExtDef = {
  ChargeTransactionPaymentWrapper: { extrinsic: { tip: "Compact<Balance>" }, payload: {} },
  SudoTransactionExtension: empty,
  CheckShieldedTxValidity: empty,
  SubtensorTransactionExtension: empty,
  DrandPriority: empty,
};

/** The flattened extension list of spec ~424 (metadata order). */
export const SUBTENSOR_EXTENSION_ORDER = [
  "CheckNonZeroSender",
  "CheckSpecVersion",
  "CheckTxVersion",
  "CheckGenesis",
  "CheckMortality",
  "CheckNonce",
  "CheckWeight",
  "ChargeTransactionPaymentWrapper",
  "SudoTransactionExtension",
  "CheckShieldedTxValidity",
  "SubtensorTransactionExtension",
  "DrandPriority",
  "CheckMetadataHash",
];

/** A registry that knows the subtensor types (no metadata): enough for codecs, hashes and runtime-API payloads. */
export function createSubtensorRegistry(): TypeRegistry {
  const registry = new TypeRegistry();
  registry.register(SUBTENSOR_TYPES as unknown as Record<string, Record<string, string>>);
  registry.setChainProperties(
    registry.createType("ChainProperties", {
      ss58Format: 42,
      tokenDecimals: 9,
      tokenSymbol: "TAO",
    }) as unknown as Parameters<TypeRegistry["setChainProperties"]>[0],
  );
  return registry;
}
