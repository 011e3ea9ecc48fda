// The dashboard's own HTTP server: fastify on 127.0.0.1 only (the host is not an option), an ephemeral port
// by default, over a read-only connection to the validator's database (the validator keeps writing it
// through its own; WAL lets both work at once).
import Fastify from "fastify";
import type { DevChain } from "../../chain/devchain.js";
import { openValidatorState } from "../../validator/state/index.js";
import { dashboardPlugin } from "./plugin.js";
import { dashboardSnapshot, DEFAULT_DASHBOARD_LIMITS, type DashboardLimits, type DashboardMiner } from "./snapshot.js";

export const DASHBOARD_HOST = "127.0.0.1";

export interface DashboardOptions {
  /** The validator's SQLite file (it must exist and be migrated: start the dashboard after the validator). */
  statePath: string;
  chain: DevChain;
  netuid: number;
  validatorUid: number;
  miners: readonly DashboardMiner[];
  /** 0 (default): an ephemeral port. */
  port?: number;
  note?: string;
  limits?: Partial<DashboardLimits>;
}

export interface RunningDashboard {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startDashboard(o: DashboardOptions): Promise<RunningDashboard> {
  const port = o.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`dashboard port must be an integer in 0..65535 (got ${port})`);
  const state = openValidatorState(o.statePath, { readonly: true });
  const limits = { ...DEFAULT_DASHBOARD_LIMITS, ...o.limits };
  const src = { state, chain: o.chain, netuid: o.netuid, validatorUid: o.validatorUid, miners: o.miners, ...(o.note ? { note: o.note } : {}) };
  // No request has a body worth reading: the smallest limit fastify takes.
  const app = Fastify({ logger: false, bodyLimit: 1024 });
  try {
    await app.register(dashboardPlugin, { snapshot: () => dashboardSnapshot(src, limits) });
    await app.listen({ host: DASHBOARD_HOST, port });
  } catch (e) {
    await app.close().catch(() => undefined);
    state.close();
    throw e;
  }
  const addr = app.server.address();
  const bound = typeof addr === "object" && addr ? addr.port : port;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${DASHBOARD_HOST}:${bound}/`,
    port: bound,
    close: () =>
      (closing ??= (async () => {
        try {
          await app.close();
        } finally {
          state.close();
        }
      })()),
  };
}
