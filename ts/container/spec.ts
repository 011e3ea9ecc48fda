// Constants of the container format (proto/container/README.md); mirrors py/condense_worker/container/spec.py.
import type { ContainerDtype, TensorDtype } from "./types.js";

export const SIGNING_DOMAIN = "condense-container-signature-v1";
/** Metadata keys in written and signed order; the last (signature) is not signed. */
export const META_KEYS = [
  "format_version",
  "kind",
  "target_model",
  "original_tokens",
  "kept_tokens",
  "algorithm",
  "params",
  "context_sha256",
  "data_sha256",
  "dtype",
  "miner_hotkey",
  "signature",
] as const;
export type MetaKey = (typeof META_KEYS)[number];
export const SIGNED_KEYS = META_KEYS.slice(0, -1) as readonly MetaKey[];
export const SIGNATURE_PLACEHOLDER = "0".repeat(128);
export const DTYPES: readonly ContainerDtype[] = ["bf16", "f16", "f32", "int8"];
export const VALUE_DTYPE: Record<ContainerDtype, TensorDtype> = { bf16: "BF16", f16: "F16", f32: "F32", int8: "I8" };
export const ITEMSIZE: Record<TensorDtype, number> = { BF16: 2, F16: 2, F32: 4, I8: 1 };
export const SCALE_DTYPE: TensorDtype = "F32";
export const MAX_INT = 2 ** 31 - 1;

export const HEX64 = /^[0-9a-f]{64}$/;
export const HEX128 = /^[0-9a-f]{128}$/;
export const INT_RE = /^(0|[1-9][0-9]{0,9})$/;
export const ALGO_RE = /^[a-z0-9_.-]{1,64}$/;
export const LAYER_NAME = /^(key|value)_(0|[1-9][0-9]{0,4})(\.scale)?$/;
