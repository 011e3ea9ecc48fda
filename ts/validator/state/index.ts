// Validator state: one SQLite database (schema in docs/validator-state.md) shared with the organic API.
export {
  ValidatorState,
  openValidatorState,
  migrate,
  DEFAULT_STATE_OPTIONS,
  type StateOptions,
  type PeriodRow,
  type ContenderPlan,
  type ContenderRow,
  type ChallengeLog,
  type ResultOutcome,
  type ResultRecord,
  type ScoreRow,
  type WeightsRecord,
  type PendingCommit,
} from "./store.js";
export { MIGRATIONS, type Migration } from "./migrations.js";
export { StateError, isStateError, type StateErrorCode } from "./errors.js";
export { contenderScoresFromState, recentTimedResults, DEFAULT_WEIGHT_INPUTS_CONFIG, type WeightInputsConfig } from "./weight-inputs.js";
