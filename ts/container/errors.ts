// Every way a container can be refused, one stable code each (mirrored by the Python reader).
export const CONTAINER_ERROR_CODES = [
  "IO", // the file could not be opened or read
  "TRUNCATED", // fewer bytes than the size prefix or the header's offsets promise
  "HEADER_TOO_LARGE", // header length prefix above limits.maxHeaderBytes
  "FILE_TOO_LARGE", // file above limits.maxFileBytes
  "BAD_HEADER", // header is not UTF-8 JSON of the safetensors shape
  "TOO_MANY_TENSORS", // more tensor entries than limits.maxTensors
  "BAD_TENSOR_SET", // missing, duplicated or unexpected tensor names
  "BAD_OFFSETS", // offsets out of range, sizes that disagree with dtype x shape, gaps, overlaps, trailing bytes
  "BAD_DTYPE", // tensor dtype not allowed or not the one the metadata declares
  "BAD_SHAPE", // shapes inconsistent with each other, the token count or the model config
  "BAD_METADATA", // a metadata field missing, unknown, or ill-typed
  "UNSUPPORTED_VERSION", // format_version other than the one this code reads
  "MODEL_MISMATCH", // target_model differs from the expected model
  "TOKEN_BOUNDS", // kept tokens outside [min, max] or above the original count
  "BINDING_MISMATCH", // context_sha256 differs from the challenge's context hash
  "HOTKEY_MISMATCH", // miner_hotkey differs from the expected hotkey (or from the signer's)
  "UNSIGNED", // signature is still the all-zero placeholder
  "BAD_SIGNATURE", // signature does not verify against miner_hotkey
  "ALREADY_SIGNED", // signContainer on a container that already carries a signature
  "DATA_MISMATCH", // data section bytes do not hash to data_sha256
] as const;

export type ContainerErrorCode = (typeof CONTAINER_ERROR_CODES)[number];

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
