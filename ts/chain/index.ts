// Public surface of the chain layer.
export type {
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
export { ChainError, CUSTOM_INVALID_TX, PALLET_ERRORS, customInvalidTxName } from "./errors.js";
export type { ChainErrorKind, PalletErrorName } from "./errors.js";
export {
  U16_MAX,
  convertWeightsForEmit,
  normalizeMaxWeight,
  processWeightsForNetuid,
  roundHalfEven,
} from "./weights.js";
export type { ProcessWeightsParams } from "./weights.js";
export { commitHash, encodeCommitPayload, netuidStorageIndex, randomSalt } from "./commit.js";
export { intToIp, ipToInt, isChainValidIp } from "./axon-ip.js";
export { FIRST_TIMELOCKED_VERSION, revealPending, submitWeights } from "./weight-setter.js";
export type { RevealOutcome } from "./weight-setter.js";
export {
  LocalBeacon,
  MAX_TIMELOCKED_COMMIT_BYTES,
  QUICKNET,
  SUPPORTED_COMMIT_REVEAL_VERSIONS,
  buildTimelockedCommit,
  encodeTimelockPayload,
  firstRevealBlock,
  revealRound,
  timelockEncrypt,
} from "./timelock.js";
export type { EpochSchedule } from "./timelock.js";
export { DevChain, DEFAULT_SUBNET_PARAMS } from "./devchain.js";
export type { DevChainOptions, DevSubnetParams, TimelockedRevealEvent } from "./devchain.js";
export { FINNEY_ENDPOINT, SubtensorChain } from "./subtensor.js";
export type { ExtensionReport } from "./extensions.js";
export type { SubtensorChainOptions } from "./subtensor.js";
