// Declarative flag list: one entry makes the yargs option, the environment variable and the config-file key.
import type { Argv } from "yargs";

export type OptionType = "string" | "number" | "boolean" | "array";

export interface OptionSpec {
  /** Dotted key, bittensor style: "wallet.name", "axon.port". The same path in the config file. */
  key: string;
  type: OptionType;
  describe: string;
  choices?: readonly string[];
}

/** The flags every bittensor-style command shares (miner, validator, tools). Defaults live in the zod schema. */
export const BITTENSOR_OPTIONS: readonly OptionSpec[] = [
  { key: "netuid", type: "number", describe: "subnet uid" },
  { key: "subtensor.network", type: "string", describe: "finney, test, local or dev (the in-memory devnet)" },
  { key: "subtensor.chain_endpoint", type: "string", describe: "ws(s):// endpoint; overrides the network's default" },
  { key: "wallet.name", type: "string", describe: "coldkey wallet name" },
  { key: "wallet.hotkey", type: "string", describe: "hotkey name inside the wallet" },
  { key: "wallet.path", type: "string", describe: "wallets folder" },
  { key: "axon.port", type: "number", describe: "port the axon listens on" },
  { key: "axon.ip", type: "string", describe: "address the axon binds to" },
  { key: "axon.external_ip", type: "string", describe: "address published on chain (default: axon.ip, or 127.0.0.1 for a wildcard bind)" },
  { key: "axon.external_port", type: "number", describe: "port published on chain (default: axon.port)" },
  { key: "logging.level", type: "string", describe: "log level", choices: ["trace", "debug", "info", "warn", "error", "fatal", "silent"] },
  { key: "logging.debug", type: "boolean", describe: "shorthand for --logging.level debug" },
  { key: "logging.trace", type: "boolean", describe: "shorthand for --logging.level trace" },
  { key: "logging.logging_dir", type: "string", describe: "also write JSON logs to this folder" },
];

/** `wallet.name` -> `CONDENSE_WALLET_NAME`. */
export function envName(key: string, prefix = "CONDENSE_"): string {
  return prefix + key.replace(/[.-]/g, "_").toUpperCase();
}

/** Adds the specs as yargs options (no yargs defaults: absence must stay visible so env and file can fill in). */
export function addOptions<T>(y: Argv<T>, specs: readonly OptionSpec[], group?: string): Argv<T> {
  let out = y;
  for (const s of specs) {
    const base = { describe: `${s.describe} [env ${envName(s.key)}]`, ...(group ? { group } : {}) };
    if (s.type === "array") out = out.option(s.key, { ...base, type: "array", string: true });
    else out = out.option(s.key, { ...base, type: s.type, ...(s.choices ? { choices: s.choices as string[] } : {}) });
  }
  // yargs' strict mode reports the parent of a dotted flag ("axon" for --axon.port) as unknown unless
  // the parent is declared too; declare each one hidden.
  const parents = new Set(specs.flatMap((s) => s.key.split(".").slice(0, -1).map((_, i, parts) => parts.slice(0, i + 1).join("."))));
  for (const p of parents) out = out.option(p, { hidden: true });
  return out.option("config", { type: "string", describe: "JSON config file (same keys as the flags, nested or dotted)" });
}
