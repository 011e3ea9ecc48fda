// The SDK's one public surface (`import { ... } from "condense"`); guide and runnable examples: docs/sdk.md.
// Each domain folder keeps its own index as its public API; this file only gathers them, so a name has one
// home. The miner and validator are not classes: `startMiner` / `startValidator` build one from a config
// and return a running handle (`RunningMiner` / `RunningValidator`) with `stop()`.

// Neurons: the two roles, their configs, and the start-up they share.
export * from "./miner/index.js";
export { startValidator, planValidator, challengeBounds, DEFAULT_CHALLENGE_KINDS, type RunningValidator, type ValidatorDeps } from "./validator/validator.js";
export { VALIDATOR_OPTIONS, ValidatorConfigSchema, ValidatorSectionSchema, validatorConfigFromArgs, type ValidatorConfig } from "./validator/config.js";
export * from "./neuron/index.js";
export * from "./localnet/index.js";
export * from "./config/index.js";
export * from "./subnet/index.js";

// The wire: bittensor synapses and signatures, the axon (server) and dendrite (client), Epistula, keys.
export * from "./bittensor/index.js";
export * from "./axon/index.js";
export * from "./dendrite/index.js";
export * from "./epistula/index.js";
export * from "./wallet/index.js";

// The chain (subtensor and the in-memory DevChain), object storage, the Python worker pool.
export * from "./chain/index.js";
// (not startS3Server: a test helper that runs the checkout's scripts/s3-server.sh, absent from the package)
export { S3Store, HttpStore, StorageError, classifyStorageError, checkKey, startSweeper, STORAGE_OPTIONS, StorageConfigSchema, openStore, withAwsCredentialFallback } from "./storage/index.js";
export type { ObjectStore, ObjectInfo, PutSource, PutOptions, PutResult, UrlOptions, StorageErrorCode, S3StoreOptions, HttpStoreOptions, SweeperOptions, StorageConfig } from "./storage/index.js";
export * from "./workers/index.js";

// The KV container: read and check a header, sign, verify the data hash.
export * from "./container/index.js";

// The validator's mechanism, one step per module: challenges, verification, evaluation, scores, weights, state.
export * from "./validator/challenges/index.js";
export { calibrate, type CalibrationOptions, type CalibrationTable, type KindCalibration } from "./validator/challenges/calibration.js";
export * from "./validator/verify/index.js";
export * from "./validator/evaluate/index.js";
export * from "./validator/score/index.js";
export * from "./validator/schedule/index.js";
export * from "./validator/weights/index.js";
export * from "./validator/state/index.js";
export * from "./validator/organic/index.js";

// Training (`condense train`).
export { runTraining, resolveTrainConfig, TrainConfigSchema, TRAIN_OPTIONS, OBJECTIVES, type TrainConfig, type TrainOutcome, type RunOptions as TrainRunOptions } from "./train/index.js";
