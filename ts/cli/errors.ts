// The CLI's exit codes (docs/cli.md) and the error a command throws when the invocation itself must change.
import { ConfigError } from "../config/resolve.js";
import { StartupError } from "../neuron/errors.js";

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

/** Errors whose message is complete advice for the user (printed alone, exit 2). */
export function isUsageError(e: unknown): e is Error {
  return e instanceof UsageError || e instanceof ConfigError || e instanceof StartupError;
}
