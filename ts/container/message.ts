// The exact bytes a miner signs (spec: proto/container/README.md, "Signature"); mirrors spec.py signing_message.
import { createHash } from "node:crypto";
import { SIGNED_KEYS, SIGNING_DOMAIN, type MetaKey } from "./spec.js";
import type { ContainerMeta, TensorEntry } from "./types.js";

/** The stored string of each metadata field (ContainerMeta keeps them parsed). */
export function metaStrings(meta: ContainerMeta): Record<MetaKey, string> {
  return {
    format_version: meta.formatVersion,
    kind: meta.kind,
    target_model: meta.targetModel,
    original_tokens: String(meta.originalTokens),
    kept_tokens: String(meta.keptTokens),
    algorithm: meta.algorithm,
    params: meta.paramsJson,
    context_sha256: meta.contextSha256,
    data_sha256: meta.dataSha256,
    dtype: meta.dtype,
    miner_hotkey: meta.minerHotkey,
    signature: meta.signature,
  };
}

/** sha256 hex of one line per tensor in data order: `name dtype d0,d1,.. begin end\n`. */
export function tensorLayoutSha256(tensors: readonly TensorEntry[]): string {
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  const text = sorted.map((t) => `${t.name} ${t.dtype} ${t.shape.join(",")} ${t.begin} ${t.end}\n`).join("");
  return createHash("sha256").update(text, "utf8").digest("hex");
}

/** UTF-8 of the domain line, `key=value` for every signed field in order, and `tensors_sha256=...`, each ending in \n. */
export function signingMessage(meta: ContainerMeta, tensors: readonly TensorEntry[]): Uint8Array {
  const s = metaStrings(meta);
  const lines = [SIGNING_DOMAIN, ...SIGNED_KEYS.map((k) => `${k}=${s[k]}`), `tensors_sha256=${tensorLayoutSha256(tensors)}`];
  return new TextEncoder().encode(lines.join("\n") + "\n");
}
