// Every way a container can be refused, one stable code each (mirrored by the Python reader). This is
// the one table: docs/container.md shows it row for row (test/container/docs.test.ts keeps them equal).
/** code -> [what raises it, what it means] */
export const CONTAINER_ERRORS = {
  IO: ["all", "the file could not be opened or read"],
  TRUNCATED: ["header", "fewer bytes than the size prefix or the header's offsets promise"],
  HEADER_TOO_LARGE: ["header", "header length prefix above limits.maxHeaderBytes"],
  FILE_TOO_LARGE: ["header", "file above limits.maxFileBytes"],
  BAD_HEADER: ["header", "header is not strict JSON (first byte `{`, UTF-8, no duplicate keys, no lone surrogates, depth <= 32, integer literals) of the safetensors shape"],
  TOO_MANY_TENSORS: ["header", "more tensor entries than limits.maxTensors"],
  BAD_TENSOR_SET: ["header", "missing or unexpected tensor names"],
  BAD_OFFSETS: ["header", "offsets out of range, sizes that disagree with dtype x shape, gaps, overlaps, trailing bytes"],
  BAD_DTYPE: ["header", "tensor dtype not allowed or not the one the metadata declares"],
  BAD_SHAPE: ["header", "shapes inconsistent with each other, the token count or the model config"],
  BAD_METADATA: ["header", "a metadata field missing, unknown, or malformed (ss58 checksum, lengths in code points, params strict JSON)"],
  UNSUPPORTED_VERSION: ["header", "format_version other than the one this code reads"],
  MODEL_MISMATCH: ["header", "target_model differs from expect.targetModel"],
  TOKEN_BOUNDS: ["header", "kept tokens outside [minKeptTokens, maxKeptTokens] or above the original count"],
  BINDING_MISMATCH: ["header", "context_sha256 differs from expect.contextSha256"],
  HOTKEY_MISMATCH: ["header, sign", "miner_hotkey differs from expect.minerHotkey (signing: from the signer's address)"],
  UNSIGNED: ["header", "a signature is required and the field is still the all-zero placeholder"],
  BAD_SIGNATURE: ["header, sign", "the sr25519 signature does not verify against miner_hotkey"],
  ALREADY_SIGNED: ["sign", "signContainer on a container that already carries a signature"],
  DATA_MISMATCH: ["data", "data section bytes do not hash to data_sha256"],
} as const satisfies Record<string, readonly [string, string]>;

export const CONTAINER_ERROR_CODES = Object.keys(CONTAINER_ERRORS) as ContainerErrorCode[];

export type ContainerErrorCode = keyof typeof CONTAINER_ERRORS;

export class ContainerError extends Error {
  override readonly name = "ContainerError";
  constructor(
    readonly code: ContainerErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isContainerError(err: unknown, code?: ContainerErrorCode): err is ContainerError {
  return err instanceof ContainerError && (code === undefined || err.code === code);
}
