// Public miner API: start a miner, or use its request logic directly.
export { startMiner, planMiner, type MinerDeps, type RunningMiner } from "./miner.js";
export { MinerService, type MinerServiceOptions, type CompressRequestIn, type CompressResult, type Admission, type PhaseTimings, type BlacklistDecision } from "./service.js";
export { MINER_OPTIONS, MinerConfigSchema, minerConfigFromArgs, type MinerConfig } from "./config.js";
export { MinerError, MINER_ERRORS, isMinerError, type MinerErrorCode } from "./errors.js";
export { BudgetLedger } from "./budget.js";
export { CallerRegistry, type CallerPolicy, type Caller } from "./permits.js";
export { WorkerPoolCompressor, type Compressor, type CompressJob, type CompressOutcome, type CompressCallOptions } from "./compressor.js";
export { resolveServedModels, ModelMapError, type ServedModel } from "./models.js";
export { selectTier, type TierChoice } from "./tier-select.js";
export { attachMinerRoutes, toAxonError } from "./routes.js";
export { MinerMetrics } from "./metrics.js";
export { PythonLegacyExporter, LegacyExportError, wantsLegacy, type LegacyExporter } from "./legacy.js";
