// The start-up both roles (miner, validator) are assembled from.
export { startNeuron, type Neuron, type NeuronDeps } from "./neuron.js";
export { StartupError, asStartupError } from "./errors.js";
export { CleanupStack } from "./cleanup.js";
export { every, type PeriodicTask } from "./periodic.js";
export { loadHotkey, type WalletConfig } from "./identity.js";
export { connectChain, requireRegistered, logChainEvent, type ChainConnectOptions } from "./chain.js";
export { resolveExternalIp, isUnpublishable, type Lookup } from "./address.js";
export { NEURON_WORKER_OPTIONS, NeuronWorkerShape, type NeuronWorkerConfig } from "./options.js";
export { startWorkers, poolOptionsFor, announcedCapabilities, requireCapability, type NeuronPool, type StartPool } from "./workers.js";
export { buildOpsApp, startOpsApp, healthOf, metricsPlugin, healthPlugin, OPS_ERRORS, OpsError, type HealthReport, type OpsAppOptions, type OpsErrorCode } from "./ops.js";
