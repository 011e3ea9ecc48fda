// Tiers are data: the one table of context limits, target models, budgets and incentives.
export { TierConfigSchema, TierTableSchema, TierName, type TierConfig, type TierTable } from "./schema.js";
export { SEED_TIERS } from "./defaults.js";
export { loadTierTable, parseTierTable, getTier, TierConfigError, UnknownTierError } from "./load.js";
