// Validator evaluation: several miners' containers per worker request, verdicts computed by the worker.
export { challengeItem, evaluateContainers } from "./evaluate.js";
export type { EvaluateItemInput, EvaluateOptions, EvaluatedItem, FailedItem, ItemResult } from "./evaluate.js";
