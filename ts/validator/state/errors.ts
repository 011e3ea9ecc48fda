// Typed state failures with stable codes.
export type StateErrorCode =
  | "SCHEMA_TOO_NEW" // the database was migrated by a newer version of this code
  | "UNKNOWN_PERIOD" // a write names a period that was never opened
  | "UNKNOWN_CONTENDER" // a challenge or result names a contender not in the period
  | "UNKNOWN_CHALLENGE" // a result for a challenge that was never logged
  | "PERIOD_CLOSED" // a write to a period that is already closed
  | "CONFLICT"; // the same key recorded again with different content

export class StateError extends Error {
  override readonly name = "StateError";
  constructor(
    readonly code: StateErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isStateError(err: unknown, code?: StateErrorCode): err is StateError {
  return err instanceof StateError && (code === undefined || err.code === code);
}
