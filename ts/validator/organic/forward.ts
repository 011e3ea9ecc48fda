// The organic router's call to a miner: one TextCompressProtocol through the dendrite, classified the way SN19
// counts results (200 with a URL = ok; 429 apart; timeouts; everything else a server error or invalid answer).
import { TextCompressProtocol, type TextCompressValues } from "../../bittensor/protocols.js";
import type { Dendrite } from "../../dendrite/dendrite.js";
import type { ForwardOutcome, OrganicCandidate, OrganicRequest } from "./router.js";

export interface DendriteForwardOptions {
  /** Per-call timeout (the tier's timeout). */
  timeoutMs: (tier: string) => number;
  /** Container format asked for (ours: safetensors). */
  format?: string;
}

export function dendriteForward(dendrite: Dendrite, opts: DendriteForwardOptions) {
  return async (c: OrganicCandidate, req: OrganicRequest, signal: AbortSignal): Promise<ForwardOutcome> => {
    const started = performance.now();
    const s = TextCompressProtocol.create({ context: req.context, target_model: req.targetModel, compressed_kv_format: opts.format ?? "safetensors" } as Partial<TextCompressValues> as never);
    const r = await dendrite.call({ ip: c.ip, port: c.port, hotkey: c.hotkey }, s, { timeoutS: opts.timeoutMs(req.tier) / 1000, signal });
    const latencyMs = performance.now() - started;
    const status = r.dendrite.status_code ?? 0;
    const message = r.dendrite.status_message ?? "";
    if (status === 200) {
      if (!/^https?:\/\//.test(r.compressed_kv_url) || r.compressed_length <= 0) return { kind: "invalid", status, message: "200 without a container URL and kept length", latencyMs };
      return { kind: "ok", url: r.compressed_kv_url, keptTokens: r.compressed_length, originalTokens: r.original_length, expiresAt: r.expires_at > 0 ? r.expires_at * 1000 : null, latencyMs };
    }
    if (status === 429) return { kind: "rate_limited", status, message, latencyMs };
    if (status === 408) return { kind: "timeout", status, message, latencyMs };
    if (status >= 500 || status === 0) return { kind: "server_error", status, message, latencyMs };
    return { kind: "invalid", status, message, latencyMs };
  };
}
