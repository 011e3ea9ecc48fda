// Public axon API: serve synapses to dendrites (bittensor 10.x wire protocol).
export { Axon, type AxonOptions, type SynapseHandlers, type BlacklistResult, type RequestInfo, type ForwardContext } from "./axon.js";
export { AxonRequestError, axonErrors, AXON_ERROR_STATUS, type AxonStatus, type AxonErrorCode } from "./errors.js";
export { NonceStore, nowNanos, ALLOWED_DELTA_NS, type NonceCheck, type NonceRefusal, type NonceStoreOptions } from "./nonces.js";
export { PriorityGate, PriorityTimeoutError, QueueFullError, WaitAbortedError } from "./priority.js";
export { AxonMetrics } from "./metrics.js";
