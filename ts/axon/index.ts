// Public axon API: serve synapses to dendrites (bittensor 10.x wire protocol).
export { Axon, type AxonOptions, type SynapseHandlers, type BlacklistResult, type RequestInfo, type ForwardContext } from "./axon.js";
export { AxonRequestError, axonErrors, type AxonStatus } from "./errors.js";
export { NonceStore, nowNanos, ALLOWED_DELTA_NS } from "./nonces.js";
export { PriorityGate, PriorityTimeoutError } from "./priority.js";
export { AxonMetrics } from "./metrics.js";
