// The zod schema of the shared bittensor-style config (netuid, subtensor, wallet, axon, logging).
import os from "node:os";
import path from "node:path";
import { z } from "zod";

export const NETWORK_ENDPOINTS = {
  finney: "wss://entrypoint-finney.opentensor.ai:443",
  test: "wss://test.finney.opentensor.ai:443",
  local: "ws://127.0.0.1:9944",
} as const;

/** "dev" is the in-memory devnet (no endpoint). */
export const NetworkName = z.enum(["finney", "test", "local", "dev"]);

const port = z.number().int().min(1).max(65535);
// Accepts dotted IPv4, IPv6 and host names; the chain publishes only IPs, checked where it is served.
const host = z.string().min(1).regex(/^[A-Za-z0-9.:_\-[\]]+$/, "not an IP address or host name");
const expandHome = (p: string) => (p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p);

export const SubtensorSchema = z
  .strictObject({
    network: NetworkName.default("finney"),
    chain_endpoint: z
      .string()
      .regex(/^wss?:\/\/[^\s]+$/, "must be a ws:// or wss:// URL")
      .optional(),
  })
  .prefault({});

export const WalletSchema = z
  .strictObject({
    name: z.string().min(1).regex(/^[^/\\]+$/, "must not contain a path separator").default("default"),
    hotkey: z.string().min(1).regex(/^[^/\\]+$/, "must not contain a path separator").default("default"),
    path: z.string().min(1).default("~/.bittensor/wallets").transform(expandHome),
  })
  .prefault({});

export const AxonSchema = z
  .strictObject({
    // 0 binds any free port (tests, localnets); the bound port is what gets published.
    port: z.number().int().min(0).max(65535).default(8091),
    ip: host.default("0.0.0.0"),
    external_ip: host.optional(),
    external_port: port.optional(),
  })
  .prefault({});

export const LoggingSchema = z
  .strictObject({
    level: z.enum(["trace", "debug", "info", "warn", "error", "fatal", "silent"]).default("info"),
    debug: z.boolean().default(false),
    trace: z.boolean().default(false),
    logging_dir: z.string().optional(),
  })
  .prefault({});

export const BittensorConfigShape = {
  netuid: z.number().int().min(0).max(65535).default(47),
  subtensor: SubtensorSchema,
  wallet: WalletSchema,
  axon: AxonSchema,
  logging: LoggingSchema,
};

export const BittensorConfigSchema = z.object(BittensorConfigShape);
export type BittensorConfig = z.output<typeof BittensorConfigSchema>;

/** The endpoint to dial, or null for the in-memory devnet. */
export function chainEndpoint(sub: BittensorConfig["subtensor"]): string | null {
  if (sub.chain_endpoint) return sub.chain_endpoint;
  return sub.network === "dev" ? null : NETWORK_ENDPOINTS[sub.network];
}

/** Effective pino level: --logging.trace beats --logging.debug beats --logging.level. */
export function logLevel(l: BittensorConfig["logging"]): string {
  return l.trace ? "trace" : l.debug ? "debug" : l.level;
}

/** The address published on chain: external_ip, else the bind ip, else loopback for a wildcard bind. */
export function externalAddress(axon: BittensorConfig["axon"]): { ip: string; port: number } {
  const ip = axon.external_ip ?? (axon.ip === "0.0.0.0" || axon.ip === "::" ? "127.0.0.1" : axon.ip);
  return { ip, port: axon.external_port ?? axon.port };
}
