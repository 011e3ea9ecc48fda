// `condense eval`: algorithms x ratios x task kinds x context lengths scored by the validator's own challenge,
// verify, evaluate and score code, with the full cache as a row, an optional running miner (--against) and the
// read-back ("encryption layer") measurement. See docs/eval.md.
export { runEval, configsOf, type EvalOptions, type AgainstTarget } from "./run.js";
export { summarize } from "./summary.js";
export { formatTable, formatColumns } from "./table.js";
export { writeReport, drawPlot, PLOT_SCRIPT, DEFAULT_PYTHON } from "./report.js";
export { resolveTarget, parseAgainst, type AgainstSpec } from "./target.js";
export { READBACK_QUESTION, WORKER_MAX_NEW_TOKENS, questionSuffix, readbackPrompt, tokenRecall, longestCommonRun, measureReadback, type Readback } from "./readback.js";
export type { ChallengeRecord, Config, EvalReport, ProgressEvent, Summary } from "./types.js";
