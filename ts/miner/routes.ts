// Puts the miner's handlers on an axon: Metadata (capacity) and TextCompressProtocol (compress). Every
// refusal that needs no compute (budget, model, tier, context, workers down) happens in `admit`, before
// the request waits for a forward slot; `forward` runs the admitted request with the axon's AbortSignal,
// so a client that goes away cancels its compute.
import { randomUUID } from "node:crypto";
import type { Axon, SynapseHandlers } from "../axon/axon.js";
import { AxonRequestError } from "../axon/errors.js";
import { Metadata, TextCompressProtocol, type TextCompressValues } from "../bittensor/protocols.js";
import type { PyAny } from "../bittensor/pytypes.js";
import type { Synapse } from "../bittensor/synapse.js";
import { MinerError } from "./errors.js";
import type { Admission, CompressRequestIn, MinerService } from "./service.js";

/** The status comes from MINER_ERRORS (carried by the error); a 500 says only its code and a reference. */
export function toAxonError(e: unknown): AxonRequestError {
  if (e instanceof AxonRequestError) return e;
  if (e instanceof MinerError) {
    if (e.status === 500) return new AxonRequestError(500, `${e.code}: internal error #${randomUUID()}`, e.detail ?? e.message);
    return new AxonRequestError(e.status, `${e.code}: ${e.message}`, e.detail);
  }
  return new AxonRequestError(500, `compress_failed: internal error #${randomUUID()}`, e instanceof Error ? e.message : String(e));
}

/** How long after its deadline an admitted request that never reached `forward` keeps its budget. */
const RELEASE_GRACE_MS = 1000;

const fieldsOf = (syn: Synapse<TextCompressValues>): CompressRequestIn => ({ context: syn.context, target_model: syn.target_model, tier: syn.tier, format: syn.compressed_kv_format });

export function attachMinerRoutes(axon: Axon, service: MinerService): void {
  axon.attach(Metadata, {
    // Any registered neuron may ask what the miner serves; budgets are only filled for validators.
    blacklist: (info) => (service.registered(info.hotkey ?? "") ? { blocked: false } : { blocked: true, reason: "unknown_hotkey: not registered on this subnet" }),
    forward: (_syn, ctx) => ({ metadata: service.metadata(ctx.hotkey) as unknown as Record<string, PyAny> }),
  });
  // The admission travels from `admit` to `forward` with the synapse object itself. The axon may still
  // refuse the request after `admit` (forward queue full, no slot in time); then `forward` never runs and
  // the budget is given back shortly after the request's deadline.
  const admitted = new WeakMap<object, { a: Admission; timer: NodeJS.Timeout }>();
  const refuse = (e: unknown, hotkey: string): never => {
    const err = toAxonError(e);
    // What the caller is not told (worker text, paths) is the operator's to see.
    if (err.status === 500 || err.detail) service.log.warn({ caller: hotkey, status: err.status, detail: err.detail }, err.message);
    else service.log.debug({ caller: hotkey, status: err.status, err: err.message }, "compress refused");
    throw err;
  };
  const handlers: SynapseHandlers<TextCompressValues> = {
    blacklist: (info) => {
      const d = service.blacklist(info.hotkey ?? "");
      return d.blocked ? { blocked: true, reason: `${d.code}: ${d.reason}`, status: 403 } : { blocked: false };
    },
    admit: (syn, info) => {
      try {
        // The one deadline starts here, from the synapse's timeout: waiting for a slot does not restart it.
        const timeoutS = Number.isFinite(syn.timeout) && syn.timeout > 0 ? syn.timeout : undefined;
        const a = service.admit(info.hotkey, fieldsOf(syn), timeoutS !== undefined ? { deadline: Date.now() + timeoutS * 1000 } : {});
        const timer = setTimeout(() => service.release(a), Math.min(2 ** 31 - 1, Math.max(0, a.deadline - Date.now()) + RELEASE_GRACE_MS));
        timer.unref();
        admitted.set(syn, { a, timer });
      } catch (e) {
        refuse(e, info.hotkey);
      }
    },
    priority: (info) => service.priority(info.hotkey ?? ""),
    forward: async (syn, ctx) => {
      try {
        const held = admitted.get(syn);
        admitted.delete(syn);
        if (held) clearTimeout(held.timer);
        const a = held?.a ?? service.admit(ctx.hotkey, fieldsOf(syn), { deadline: ctx.deadline });
        const r = await service.run(a, { signal: ctx.signal, deadline: ctx.deadline });
        // Like the subnet's research miner, the context is not echoed back.
        return {
          context: "",
          compressed_kv_url: r.compressed_kv_url,
          compressed_kv_format: r.format,
          compressed_length: r.kept_tokens,
          algorithm: service.opts.algorithm,
          tier: r.tier,
        };
      } catch (e) {
        return refuse(e, ctx.hotkey);
      }
    },
  };
  axon.attach(TextCompressProtocol, handlers);
}
