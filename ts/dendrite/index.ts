// Public dendrite API: signed synapse calls to one or many axons.
export { Dendrite, status, type AxonTarget, type DendriteOptions, type CallOptions } from "./dendrite.js";
export { DendriteCallError, dendriteErrors, type LocalFailure } from "./errors.js";
export { NonceClock } from "./nonce-clock.js";
