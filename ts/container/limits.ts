import type { ContainerDtype, ContainerKind, ContainerLimits } from "./types.js";

// Defaults sized for the research tier on Mistral-7B: 1536 kept tokens in f32 is 384 MiB; headers of
// real containers are a few KiB, so 256 KiB leaves room without letting a header eat memory.
export const DEFAULT_CONTAINER_LIMITS: Readonly<ContainerLimits> = Object.freeze({
  maxHeaderBytes: 256 * 1024,
  maxTensors: 1024,
  maxFileBytes: 1024 * 1024 * 1024,
  minKeptTokens: 1,
  maxKeptTokens: 1 << 20,
  allowedDtypes: Object.freeze(["bf16", "f16", "f32", "int8"] as const),
  allowedKinds: Object.freeze(["kv", "soft_tokens"] as const),
});

const COUNTS = ["maxHeaderBytes", "maxTensors", "maxFileBytes", "minKeptTokens", "maxKeptTokens"] as const;
const LISTS = { allowedDtypes: DEFAULT_CONTAINER_LIMITS.allowedDtypes, allowedKinds: DEFAULT_CONTAINER_LIMITS.allowedKinds } as const;

/**
 * The defaults, with each bound the caller gave explicitly. `undefined` keeps the default (a missing
 * tier field must not switch a bound off); anything else that is not a valid bound throws a RangeError:
 * it is the caller's mistake, never the container's, so it is not a ContainerError.
 */
export function resolveLimits(partial: Partial<ContainerLimits> = {}): ContainerLimits {
  const out: ContainerLimits = { ...DEFAULT_CONTAINER_LIMITS };
  for (const key of Object.keys(partial)) {
    if (!(COUNTS as readonly string[]).includes(key) && !Object.hasOwn(LISTS, key)) throw new RangeError(`unknown container limit ${key}`);
  }
  for (const key of COUNTS) {
    const v: unknown = partial[key];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) throw new RangeError(`container limit ${key} must be a non-negative integer, got ${String(v)}`);
    out[key] = v;
  }
  for (const key of ["allowedDtypes", "allowedKinds"] as const) {
    const v: unknown = partial[key];
    if (v === undefined) continue;
    const known = LISTS[key] as readonly string[];
    if (!Array.isArray(v) || !v.every((x) => known.includes(x))) throw new RangeError(`container limit ${key} must be a list drawn from ${known.join(", ")}`);
    if (key === "allowedDtypes") out.allowedDtypes = Object.freeze([...v]) as readonly ContainerDtype[];
    else out.allowedKinds = Object.freeze([...v]) as readonly ContainerKind[];
  }
  if (out.minKeptTokens > out.maxKeptTokens) throw new RangeError(`minKeptTokens ${out.minKeptTokens} > maxKeptTokens ${out.maxKeptTokens}`);
  return out;
}
