import type { ContainerLimits } from "./types.js";

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

export function resolveLimits(partial: Partial<ContainerLimits> = {}): ContainerLimits {
  return { ...DEFAULT_CONTAINER_LIMITS, ...partial };
}
