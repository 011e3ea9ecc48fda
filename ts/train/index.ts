// Public API of `condense train`: configuration, the run, its records and exit codes.
export { OBJECTIVES, TRAIN_OPTIONS, TrainConfigSchema, checkPaths, logPath, resolveTrainConfig, type TrainConfig } from "./config.js";
export { toRecord, type TrainRecord } from "./metrics.js";
export { TrainReporter, describe } from "./reporter.js";
export { EXIT, exitFor, runTraining, toRequest, type RunOptions, type TrainOutcome } from "./run.js";
