// Shared bittensor-style configuration: flags, environment (CONDENSE_*), a JSON file, one zod schema.
export { BITTENSOR_OPTIONS, addOptions, envName, type OptionSpec, type OptionType } from "./options.js";
export { resolveConfig, ConfigError, type ConfigIssue, type ResolveOptions } from "./resolve.js";
export {
  BittensorConfigSchema,
  BittensorConfigShape,
  NetworkName,
  NETWORK_ENDPOINTS,
  chainEndpoint,
  logLevel,
  externalAddress,
  type BittensorConfig,
} from "./schema.js";
