// Weights: scores from the state to the chain, within its rules (rate limit, commit-reveal mode).
export { revealPendingCommits, setPeriodWeights, type WeightsDeps, type WeightsOutcome } from "./weights.js";
