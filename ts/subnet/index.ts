// The rules both roles obey: the tier table, a context's length, the validator budget, the Metadata type.
export { TierConfigSchema, TierTableSchema, TierName, canonicalModel, type TierConfig, type TierTable } from "./tier-schema.js";
export { SEED_TIERS } from "./tier-seed.js";
export { loadTierTable, parseTierTable, getTier, TierConfigError, UnknownTierError } from "./tier-load.js";
export { charLength } from "./length.js";
export { validatorBudget, validatorBudgets, type TierBudgetPolicy } from "./budget.js";
export { MinerMetadataSchema, TierCapacitySchema, parseMinerMetadata, MetadataParseError, type MinerMetadata, type TierCapacity } from "./metadata.js";
