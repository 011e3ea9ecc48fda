// Every way the validator refuses a miner's answer before scoring it: one table of stable codes used in
// logs, metric labels and the results table (state). Codes never change meaning; new ones are appended.
import type { ContainerErrorCode } from "../../container/index.js";
import type { AddressClass } from "./address-policy.js";

export const REFUSAL_REASONS = {
  // dialling the axon / the URL
  AXON_ADDRESS_REFUSED: "the axon's IP address is in a refused class (loopback, private, metadata, ...)",
  AXON_PORT_INVALID: "the axon's port is not 1..65535",
  URL_INVALID: "the URL does not parse, is too long, or carries credentials",
  URL_SCHEME: "the URL's scheme is not http or https",
  ADDRESS_REFUSED: "the URL's host is, or resolves to, an address in a refused class",
  DNS_FAILED: "the URL's host name did not resolve",
  REDIRECT_REFUSED: "the server answered with a redirect and redirects are refused",
  TOO_MANY_REDIRECTS: "more redirects than allowed",
  HTTP_STATUS: "the download answered with a status other than 200",
  // the bytes
  SIZE_DECLARED: "Content-Length above the container size cap",
  SIZE_EXCEEDED: "the body ran past the container size cap",
  DEADLINE: "the download did not finish before its deadline",
  NETWORK: "the connection failed or broke",
  IO: "the validator could not write the download to its tmpfs file",
  // the container (ts/container codes, grouped)
  CONTAINER_MALFORMED: "the container is not a well-formed KV container (header, offsets, tensor set, metadata)",
  CONTAINER_TOO_LARGE: "the container's header or file is above its cap",
  SHAPE_MISMATCH: "tensor shapes do not match the target model",
  DTYPE_REFUSED: "a dtype the tier does not accept",
  TOKEN_BOUNDS: "kept tokens outside the tier's bounds or above the original count",
  MODEL_MISMATCH: "the container is for another target model",
  BINDING_MISMATCH: "the container was made for another challenge's context",
  HOTKEY_MISMATCH: "the container names another miner's hotkey",
  UNSIGNED: "the container carries no signature",
  BAD_SIGNATURE: "the signature does not verify against the miner's hotkey",
  DATA_MISMATCH: "the data section does not hash to the header's data_sha256",
  // the miner's answer to the compress call, and the evaluation
  MINER_RATE_LIMITED: "the miner answered 429 (counted apart: it costs only what the period score says)",
  MINER_TIMEOUT: "the miner did not answer within the tier's timeout",
  MINER_UNREACHABLE: "the miner's axon could not be reached",
  MINER_ERROR: "the miner answered with a status other than 200 or 429",
  NO_URL: "the miner answered 200 without a container URL",
  EVALUATE_REFUSED: "the worker could not evaluate the container (its tensors do not load as the header says)",
} as const;

export type RefusalCode = keyof typeof REFUSAL_REASONS;
export const REFUSAL_CODES = Object.freeze(Object.keys(REFUSAL_REASONS) as RefusalCode[]);

/** A refusal: the code is the contract, `detail` is for humans (bounded, never parsed). */
export class VerifyError extends Error {
  override readonly name = "VerifyError";
  constructor(
    readonly code: RefusalCode,
    readonly detail: string,
    readonly addressClass?: AddressClass,
  ) {
    super(`${code}: ${detail.length > 300 ? `${detail.slice(0, 300)}...` : detail}`);
  }
}

export function isVerifyError(err: unknown, code?: RefusalCode): err is VerifyError {
  return err instanceof VerifyError && (code === undefined || err.code === code);
}

const CONTAINER_TO_REFUSAL: Record<ContainerErrorCode, RefusalCode> = {
  IO: "IO",
  TRUNCATED: "CONTAINER_MALFORMED",
  HEADER_TOO_LARGE: "CONTAINER_TOO_LARGE",
  FILE_TOO_LARGE: "CONTAINER_TOO_LARGE",
  BAD_HEADER: "CONTAINER_MALFORMED",
  TOO_MANY_TENSORS: "CONTAINER_MALFORMED",
  BAD_TENSOR_SET: "SHAPE_MISMATCH",
  BAD_OFFSETS: "CONTAINER_MALFORMED",
  BAD_DTYPE: "DTYPE_REFUSED",
  BAD_SHAPE: "SHAPE_MISMATCH",
  BAD_METADATA: "CONTAINER_MALFORMED",
  UNSUPPORTED_VERSION: "CONTAINER_MALFORMED",
  MODEL_MISMATCH: "MODEL_MISMATCH",
  TOKEN_BOUNDS: "TOKEN_BOUNDS",
  BINDING_MISMATCH: "BINDING_MISMATCH",
  HOTKEY_MISMATCH: "HOTKEY_MISMATCH",
  UNSIGNED: "UNSIGNED",
  BAD_SIGNATURE: "BAD_SIGNATURE",
  ALREADY_SIGNED: "CONTAINER_MALFORMED",
  DATA_MISMATCH: "DATA_MISMATCH",
};

export function refusalOfContainerCode(code: ContainerErrorCode): RefusalCode {
  return CONTAINER_TO_REFUSAL[code];
}
