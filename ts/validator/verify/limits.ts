// The biggest container a tier can legitimately produce for a model, so downloads can be capped before
// a byte arrives: 8-byte prefix + header cap + the tensors of max_condensed_tokens at the widest dtype.
import type { ContainerDtype, ModelShape } from "../../container/index.js";

const VALUE_BYTES: Record<ContainerDtype, number> = { f32: 4, bf16: 2, f16: 2, int8: 1 };

export interface ContainerSizeInput {
  model: ModelShape;
  /** The tier's max_condensed_tokens. */
  maxKeptTokens: number;
  /** Dtypes the tier accepts; the widest sets the cap. */
  allowedDtypes: readonly ContainerDtype[];
  kind?: "kv" | "soft_tokens";
}

/** Header bytes a real container of this model can need: ~160 per tensor entry plus metadata and params. */
export function maxHeaderBytes(model: ModelShape): number {
  const tensors = 4 * model.numLayers; // key/value (+ their int8 scales)
  return 8192 + 4096 + 160 * tensors;
}

/** Largest valid file size in bytes (exact for the tensor payload, generous for the header). */
export function maxContainerBytes(i: ContainerSizeInput): number {
  const { model, maxKeptTokens: t } = i;
  if (i.allowedDtypes.length === 0) return 0;
  let payload = 0;
  for (const dt of i.allowedDtypes) {
    let bytes: number;
    if (i.kind === "soft_tokens") {
      if (dt === "int8") continue;
      bytes = t * (model.hiddenSize ?? 0) * VALUE_BYTES[dt];
    } else {
      const perTensor = model.kvHeads * t * model.headDim * VALUE_BYTES[dt];
      const scales = dt === "int8" ? model.kvHeads * model.headDim * 4 : 0;
      bytes = 2 * model.numLayers * (perTensor + scales);
    }
    payload = Math.max(payload, bytes);
  }
  return 8 + maxHeaderBytes(model) + payload;
}
