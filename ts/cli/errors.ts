// The CLI's exit codes (docs/cli.md) and the error a command throws when the invocation itself must change.

export const EXIT = {
  ok: 0,
  /** something failed while running (a worker, the chain, storage, a file that could not be written) */
  failure: 1,
  /** the invocation must change: a bad flag, config value or input, or a start-up refusal; the message says what */
  usage: 2,
} as const;

/** A refusal caused by what the user asked for; the message names what to fix. Exits 2 without a stack trace. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Names of the errors whose message is complete advice for the user: UsageError, ConfigError (ts/config),
 * StartupError (ts/neuron). Matched by name so the CLI's entry need not load the chain and worker layers. */
const USAGE_ERRORS = new Set(["UsageError", "ConfigError", "StartupError"]);

/** Printed alone, exit 2. */
export function isUsageError(e: unknown): e is Error {
  return e instanceof Error && USAGE_ERRORS.has(e.name);
}
