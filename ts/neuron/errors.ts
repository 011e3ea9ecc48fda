// A start-up refusal: what is wrong and what to do about it. The CLI prints it without a stack trace and
// exits 2; anything else that escapes start-up is a bug and keeps its stack.
import { ChainError } from "../chain/errors.js";
import { StorageError } from "../storage/errors.js";
import { WalletError } from "../wallet/wallet.js";
import { WorkerStartError } from "../workers/errors.js";

export class StartupError extends Error {
  override readonly name = "StartupError";
  constructor(
    /** What is wrong. */
    readonly problem: string,
    /** What the operator should do. */
    readonly fix: string,
    /** The config key to change, when one is at fault. */
    readonly key?: string,
    options?: { cause?: unknown },
  ) {
    super(`${key ? `${key}: ` : ""}${problem}; ${fix}`, options);
  }
}

/**
 * Turns a failure of a start-up step whose errors are complete messages (wallet, chain, storage, workers)
 * into a StartupError carrying `fix`; other errors pass through unchanged.
 */
export function asStartupError(e: unknown, fix: string, key?: string): unknown {
  if (e instanceof StartupError) return e;
  if (e instanceof WalletError || e instanceof ChainError || e instanceof StorageError || e instanceof WorkerStartError)
    return new StartupError(e.message, fix, key, { cause: e });
  return e;
}
