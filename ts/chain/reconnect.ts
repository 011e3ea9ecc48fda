// Keeps a WsProvider connected: on every 'disconnected' it schedules one reconnect with exponential backoff
// (WsProvider's own auto-connect retries at a fixed interval forever; we want growing delays and a log line).
import { backoffDelay, type BackoffOptions } from "./backoff.js";

/** The part of @polkadot/rpc-provider's WsProvider this needs. */
export interface ReconnectableProvider {
  readonly isConnected: boolean;
  connect(): Promise<void>;
  on(type: "connected" | "disconnected", cb: () => void): () => void;
}

export interface KeepConnectedOptions extends Pick<BackoffOptions, "initialMs" | "maxMs" | "random"> {
  onEvent?: (event: "reconnect" | "reconnected", details: Record<string, unknown>) => void;
}

export function keepConnected(provider: ReconnectableProvider, o: KeepConnectedOptions): { stop(): void } {
  let attempt = 0;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const schedule = (): void => {
    if (stopped || timer || provider.isConnected) return;
    attempt += 1;
    const delayMs = backoffDelay(attempt, o);
    o.onEvent?.("reconnect", { attempt, delayMs });
    timer = setTimeout(() => {
      timer = null;
      if (stopped || provider.isConnected) return;
      // A failed socket reports 'disconnected' again, which reschedules; a synchronous failure lands here.
      provider.connect().catch(() => schedule());
    }, delayMs);
    timer.unref();
  };
  const offConnected = provider.on("connected", () => {
    if (attempt > 0) o.onEvent?.("reconnected", { attempts: attempt });
    attempt = 0;
  });
  const offDisconnected = provider.on("disconnected", schedule);
  return {
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      offConnected();
      offDisconnected();
    },
  };
}
