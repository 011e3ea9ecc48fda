// Local call failures mapped to the Python dendrite's status codes (DENDRITE_ERROR_MAPPING in bittensor 10.x):
// connect failure 503 "Service unavailable at ip:port/Name", timeout 408 "Request timeout after N seconds",
// payload error 400, server disconnect 503, unparsable/invalid response 422, anything else 500.
import { pyFloatRepr } from "../bittensor/pystr.js";

export interface LocalFailure {
  status: number;
  message: string;
}

export class DendriteCallError extends Error {
  override readonly name = "DendriteCallError";
  constructor(
    readonly kind: "timeout" | "aborted" | "payload" | "unparsable" | "connect" | "disconnected" | "other",
    message: string,
  ) {
    super(message);
  }
}

const CONNECT_CODES = new Set(["ECONNREFUSED", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN", "EADDRNOTAVAIL", "ETIMEDOUT"]);

export const dendriteErrors = {
  timeout: () => new DendriteCallError("timeout", "timeout"),
  aborted: () => new DendriteCallError("aborted", "call aborted by the caller"),
  payload: (m: string) => new DendriteCallError("payload", m),
  unparsable: (m: string) => new DendriteCallError("unparsable", m),
  /** Tags a Node socket error with the phase it happened in. */
  withPhase(e: Error, phase: "connect" | "response" | "body"): Error {
    if (e instanceof DendriteCallError) return e;
    const code = (e as NodeJS.ErrnoException).code ?? "";
    if (phase === "connect" || CONNECT_CODES.has(code)) return new DendriteCallError("connect", `${code || e.message}`);
    if (phase === "response") return new DendriteCallError("disconnected", `${code || e.message}`);
    return new DendriteCallError("payload", `${code || e.message}`);
  },
  classify(e: unknown, ctx: { target: { ip: string; port: number }; name: string; timeoutS: number }): LocalFailure {
    if (!(e instanceof DendriteCallError)) return { status: 500, message: `Client error: ${e instanceof Error ? e.message : String(e)}` };
    switch (e.kind) {
      case "timeout":
        return { status: 408, message: `Request timeout after ${pyFloatRepr(ctx.timeoutS)} seconds` };
      case "connect":
        return { status: 503, message: `Service unavailable at ${ctx.target.ip}:${ctx.target.port}/${ctx.name}` };
      case "disconnected":
        return { status: 503, message: `Service disconnected: ${e.message}` };
      case "payload":
        return { status: 400, message: `Payload error: ${e.message}` };
      case "unparsable":
        return { status: 422, message: `Failed to parse response: ${e.message}` };
      case "aborted":
        return { status: 499, message: `Client aborted: ${e.message}` };
      default:
        return { status: 500, message: `Client error: ${e.message}` };
    }
  },
};
