// Validator evaluation: several miners' containers per worker request, verdicts computed by the worker.
export { answerCheckFor, challengeItem, evaluateContainers } from "./evaluate.js";
export type { AnswerCheckName, EvaluateItemInput, EvaluateOptions, EvaluatedItem, FailedItem, ItemResult } from "./evaluate.js";
