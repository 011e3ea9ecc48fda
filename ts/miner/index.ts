// Public miner API: start a miner, or use its request logic directly.
export { startMiner, planMiner, MinerStartError, type MinerDeps, type RunningMiner } from "./miner.js";
export { MinerService, type MinerServiceOptions, type CompressRequestIn, type CompressResult, type MetadataReply, type PhaseTimings, type BlacklistDecision } from "./service.js";
export { MINER_OPTIONS, MinerConfigSchema, minerConfigFromArgs, type MinerConfig } from "./config.js";
export { MinerError, MINER_ERRORS, isMinerError, type MinerErrorCode } from "./errors.js";
export { BudgetLedger, validatorBudget, type TierBudgetPolicy } from "./budget.js";
export { CallerRegistry, type CallerPolicy, type Caller } from "./permits.js";
export { WorkerPoolCompressor, type Compressor, type CompressJob, type CompressOutcome } from "./compressor.js";
export { resolveServedModels, ModelMapError, type ServedModel } from "./models.js";
export { selectTier, charLength } from "./tier-select.js";
export { attachMinerRoutes, toAxonError } from "./routes.js";
export { MinerMetrics } from "./metrics.js";
export { PythonLegacyExporter, LegacyExportError, wantsLegacy, type LegacyExporter } from "./legacy.js";
