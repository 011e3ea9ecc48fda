// Verification of everything a miner hands the validator, before scoring: where it may be dialled, the
// URL it returns, the bytes behind that URL, and the container those bytes hold.
export {
  ADDRESS_CLASSES,
  PRIVATE_CLASSES,
  DEFAULT_ADDRESS_POLICY,
  classifyAddress,
  isClassAllowed,
  checkAddress,
  normalizeAddress,
  type AddressClass,
  type AddressPolicy,
  type AddressVerdict,
} from "./address-policy.js";
export { REFUSAL_REASONS, REFUSAL_CODES, VerifyError, isVerifyError, refusalOfContainerCode, type RefusalCode } from "./reasons.js";
export { DEFAULT_URL_POLICY, checkUrl, guardedLookup, createGuardedAgent, systemResolver, verifyErrorIn, type UrlPolicy, type Resolver, type GuardedAgentOptions } from "./url-policy.js";
export { maxContainerBytes, maxHeaderBytes, type ContainerSizeInput } from "./limits.js";
export { Limiter, LimiterFullError } from "./limiter.js";
export { createPrivateDir, removePrivateDir, downloadToFile, type DownloadOptions, type Downloaded } from "./download.js";
export { checkContainer, DEFAULT_ALLOWED_DTYPES, type ContainerExpectation } from "./container.js";
export { ContainerFetcher, DEFAULT_FETCHER_CONFIG, type FetcherConfig, type Fetched } from "./fetcher.js";
export { VerifyMetrics } from "./metrics.js";
