// Puts the miner's handlers on an axon: Metadata (capacity) and TextCompressProtocol (compress).
import type { Axon } from "../axon/axon.js";
import { AxonRequestError, type AxonStatus } from "../axon/errors.js";
import { Metadata, TextCompressProtocol } from "../bittensor/protocols.js";
import type { PyAny } from "../bittensor/pytypes.js";
import { MinerError } from "./errors.js";
import type { MinerService } from "./service.js";

/** The axon knows a fixed status set; a deadline we missed is a 503 (we could not serve in time). */
function axonStatus(status: number): AxonStatus {
  const known: readonly number[] = [400, 401, 403, 404, 408, 413, 415, 429, 500, 503];
  return (known.includes(status) ? status : status >= 500 ? 503 : 400) as AxonStatus;
}

export function toAxonError(e: unknown): AxonRequestError {
  if (e instanceof AxonRequestError) return e;
  if (e instanceof MinerError) return new AxonRequestError(axonStatus(e.status), `${e.code}: ${e.message}`);
  return new AxonRequestError(500, `compress_failed: ${e instanceof Error ? e.message : String(e)}`);
}

export function attachMinerRoutes(axon: Axon, service: MinerService): void {
  axon.attach(Metadata, {
    // As in the subnet, anyone may ask what the miner serves; budgets are only filled for known validators.
    forward: (_syn, ctx) => ({ metadata: service.metadata(ctx.hotkey) as unknown as Record<string, PyAny> }),
  });
  axon.attach(TextCompressProtocol, {
    blacklist: (info) => {
      const d = service.blacklist(info.hotkey ?? "");
      return d.blocked ? { blocked: true, reason: `${d.code}: ${d.reason}`, status: 403 } : { blocked: false };
    },
    priority: (info) => service.priority(info.hotkey ?? ""),
    forward: async (syn, ctx) => {
      try {
        const r = await service.compress(
          ctx.hotkey,
          { context: syn.context, target_model: syn.target_model, tier: syn.tier, format: syn.compressed_kv_format },
          { signal: ctx.signal, timeoutMs: Math.max(0, ctx.deadlineMs - Date.now()) },
        );
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
        service.log.debug({ err: e instanceof Error ? e.message : String(e), caller: ctx.hotkey }, "compress refused");
        throw toAxonError(e);
      }
    },
  });
}
