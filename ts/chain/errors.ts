// Typed chain errors. `code` is the subtensor pallet error name (macros/errors.rs) whenever the chain (or the
// DevChain, which uses the same names) rejected a call, so callers can branch on it the same way for both.

export type ChainErrorKind =
  /** Dispatch error from a pallet (Module { index, error }) decoded to its name. */
  | "module"
  /** Transaction-pool rejection (InvalidTransaction::Custom(n) from SubtensorTransactionExtension, or a standard one). */
  | "invalid-transaction"
  /** Bad argument caught before anything was sent. */
  | "input"
  /** Metadata lists a signed extension we cannot encode: signing is refused. */
  | "unsupported-extension"
  /** Node unreachable / disconnected after retries. */
  | "connection"
  /** A chain value failed validation at the edge (unexpected shape, out of range). */
  | "decode";

export class ChainError extends Error {
  override readonly name = "ChainError";
  constructor(
    readonly kind: ChainErrorKind,
    /** Pallet error name (e.g. "SettingWeightsTooFast"), pool error name, or one of our own input codes. */
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(`${code}: ${message}`);
  }
}

/** Names of the SubtensorModule errors the DevChain raises (subset of macros/errors.rs). */
export const PALLET_ERRORS = [
  "HotKeyNotRegisteredInSubNet",
  "HotKeyNotRegisteredInNetwork",
  "HotKeyAlreadyRegisteredInSubNet",
  "SubNetworkDoesNotExist",
  "MechanismDoesNotExist",
  "SubNetRegistrationDisabled",
  "NotEnoughBalanceToStake",
  "NonAssociatedColdKey",
  "NoNeuronIdAvailable",
  "CanNotSetRootNetworkWeights",
  "WeightVecNotEqualSize",
  "UidsLengthExceedUidsInSubNet",
  "NotEnoughStakeToSetWeights",
  "IncorrectWeightVersionKey",
  "SettingWeightsTooFast",
  "NeuronNoValidatorPermit",
  "DuplicateUids",
  "UidVecContainInvalidOne",
  "WeightVecLengthIsLow",
  "MaxWeightExceeded",
  "CommitRevealEnabled",
  "CommitRevealDisabled",
  "CommittingWeightsTooFast",
  "TooManyUnrevealedCommits",
  "NoWeightsCommitFound",
  "RevealTooEarly",
  "ExpiredWeightCommit",
  "InvalidRevealCommitHashNotMatch",
  "ServingRateLimitExceeded",
  "InvalidIpType",
  "InvalidIpAddress",
  "InvalidPort",
  "IncorrectCommitRevealVersion",
] as const;

export type PalletErrorName = (typeof PALLET_ERRORS)[number];

/** InvalidTransaction::Custom(u8) codes of SubtensorTransactionExtension (common/src/transaction_error.rs). */
export const CUSTOM_INVALID_TX: Readonly<Record<number, string>> = {
  0: "ColdkeyInSwapSchedule",
  1: "StakeAmountTooLow",
  2: "BalanceTooLow",
  3: "SubnetNotExists",
  4: "HotkeyAccountDoesntExist",
  5: "NotEnoughStakeToWithdraw",
  6: "RateLimitExceeded",
  7: "InsufficientLiquidity",
  8: "SlippageTooHigh",
  9: "TransferDisallowed",
  10: "HotKeyNotRegisteredInNetwork",
  11: "InvalidIpAddress",
  12: "ServingRateLimitExceeded",
  13: "InvalidPort",
  14: "ZeroMaxAmount",
  15: "InvalidRevealRound",
  16: "CommitNotFound",
  17: "CommitBlockNotInRevealRange",
  18: "InputLengthsUnequal",
  19: "UidNotFound",
  20: "EvmKeyAssociateRateLimitExceeded",
  21: "ColdkeySwapDisputed",
  22: "InvalidRealAccount",
  23: "FailedShieldedTxParsing",
  24: "InvalidShieldedTxPubKeyHash",
  25: "NonAssociatedColdKey",
  26: "DelegateTakeTooLow",
  27: "DelegateTakeTooHigh",
  255: "BadRequest",
};

/** Name for a pool-level `Custom error: N`; unknown numbers keep their number so nothing is lost. */
export function customInvalidTxName(code: number): string {
  return CUSTOM_INVALID_TX[code] ?? `CustomInvalidTransaction${code}`;
}

/** Substrate's InvalidTransaction messages (sp-runtime) -> variant names. */
const STANDARD_INVALID_TX: ReadonlyArray<[RegExp, string]> = [
  [/Inability to pay some fees/i, "Payment"],
  [/will be valid in the future/i, "Future"],
  [/Transaction is outdated/i, "Stale"],
  [/bad signature/i, "BadProof"],
  [/ancient birth block/i, "AncientBirthBlock"],
  [/exhaust the block limits/i, "ExhaustsResources"],
];

/** Parse a node's pool rejection ("1010: Invalid Transaction: Custom error: N" and the standard ones). */
export function parsePoolRejection(text: string): ChainError | null {
  const custom = /Custom error:\s*(\d+)/i.exec(text);
  if (custom) {
    const n = Number(custom[1]);
    return new ChainError("invalid-transaction", customInvalidTxName(n), text, { custom: n });
  }
  for (const [re, name] of STANDARD_INVALID_TX) {
    if (re.test(text)) return new ChainError("invalid-transaction", name, text);
  }
  if (/Invalid Transaction|^1010\b/i.test(text)) return new ChainError("invalid-transaction", "InvalidTransaction", text);
  return null;
}
