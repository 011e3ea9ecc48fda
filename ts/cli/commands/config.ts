// `condense config print <role>`: the configuration a command would run with, each value beside where it came
// from (flag > env > file > default). It calls the same resolver, schema and flag list as the command itself, so
// it cannot disagree with it; an invalid value fails here exactly as it would at start (exit 2).
import type { Argv, CommandModule } from "yargs";
import type { z } from "zod";
import { addOptions, type OptionSpec } from "../../config/options.js";
import { resolveConfig } from "../../config/resolve.js";
import { MINER_OPTIONS, MinerConfigSchema } from "../../miner/config.js";
import { withAwsCredentialFallback } from "../../storage/config.js";
import { VALIDATOR_OPTIONS, ValidatorConfigSchema } from "../../validator/config.js";

interface Role {
  specs: readonly OptionSpec[];
  schema: z.ZodType;
  /** The environment exactly as the command prepares it. */
  env: () => NodeJS.ProcessEnv;
  describe: string;
}

// Each entry mirrors the resolveConfig call in ts/cli/commands/<role>.ts.
const ROLES: Record<string, Role> = {
  miner: { specs: MINER_OPTIONS, schema: MinerConfigSchema, env: () => withAwsCredentialFallback(process.env), describe: "the configuration `condense miner` would start with" },
  validator: { specs: VALIDATOR_OPTIONS, schema: ValidatorConfigSchema, env: () => process.env, describe: "the configuration `condense validator` would start with" },
};

/** Key names whose values never get printed. */
const SECRET = /(secret|password|passphrase|token|access_key|api_key|private)/i;
export const REDACTED = "<redacted>";

export interface Entry {
  key: string;
  value: unknown;
  source: "flag" | "env" | "file" | "default";
  /** The flag, variable or file it came from. */
  from?: string;
}

function flatten(value: unknown, prefix: string, out: Map<string, unknown>): void {
  if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.keys(value).length) {
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out.set(prefix, value);
}

function sourceOf(key: string, sources: Map<string, string>): Pick<Entry, "source" | "from"> {
  let k = key;
  let s = sources.get(k);
  // A leaf below a flag (miner.capacity.research from --miner.capacity) came from that flag.
  while (s === undefined && k.includes(".")) {
    k = k.slice(0, k.lastIndexOf("."));
    s = sources.get(k);
  }
  if (s === undefined) return { source: "default" };
  if (s.startsWith("flag ")) return { source: "flag", from: s.slice(5) };
  if (s.startsWith("env ")) return { source: "env", from: s.slice(4) };
  return { source: "file", from: s.replace(/^config file /, "") };
}

/** Resolves like the role's command does and lists every key (spec order first), secrets redacted. */
export function effectiveConfig(role: string, argv: Record<string, unknown>, env?: NodeJS.ProcessEnv): Entry[] {
  const r = ROLES[role];
  if (!r) throw new Error(`unknown role ${role}`);
  const sources = new Map<string, string>();
  const roleEnv = env ?? r.env();
  const cfg = resolveConfig({ schema: r.schema, specs: r.specs, argv, env: roleEnv, sources });
  // A variable the command derived from another one (AWS_ACCESS_KEY_ID -> CONDENSE_STORAGE_S3_ACCESS_KEY): name the original.
  if (!env)
    for (const [k, s] of sources) {
      const name = s.startsWith("env ") ? s.slice(4) : null;
      if (!name || process.env[name] !== undefined) continue;
      const orig = Object.keys(process.env).find((n) => n !== name && process.env[n] === roleEnv[name]);
      if (orig) sources.set(k, `env ${orig} (as ${name})`);
    }
  const leaves = new Map<string, unknown>();
  flatten(cfg, "", leaves);
  const keys: string[] = [];
  const seen = new Set<string>();
  const add = (k: string) => {
    if (!seen.has(k)) keys.push(k), seen.add(k);
  };
  for (const s of r.specs) {
    const under = [...leaves.keys()].filter((k) => k === s.key || k.startsWith(`${s.key}.`));
    if (under.length) under.forEach(add);
    else add(s.key); // unset optional key: shown so every knob is visible
  }
  for (const k of leaves.keys()) add(k);
  return keys.map((key) => {
    const raw = leaves.get(key);
    const value = raw !== undefined && SECRET.test(key.split(".").pop()!) ? REDACTED : raw;
    return { key, value, ...sourceOf(key, sources) };
  });
}

const show = (v: unknown) => (v === undefined ? "(unset)" : typeof v === "string" ? v : JSON.stringify(v));

function roleCommand(name: string, r: Role): CommandModule {
  return {
    command: name,
    describe: r.describe,
    builder: (y: Argv) =>
      addOptions(y, r.specs)
        .option("json", { type: "boolean", default: false, describe: "print JSON: [{key, value, source, from}]" })
        .example(`condense config print ${name} --config ${name}.json --axon.port 8095`, "file values, overridden by a flag")
        .example(`CONDENSE_NETUID=1 condense config print ${name} --json`, "as JSON, with a value from the environment"),
    handler: (argv) => {
      const entries = effectiveConfig(name, argv as Record<string, unknown>);
      const a = argv as unknown as { json: boolean };
      if (a.json) {
        process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        return;
      }
      const w = Math.max(...entries.map((e) => e.key.length));
      const vw = Math.min(48, Math.max(...entries.map((e) => show(e.value).length)));
      process.stdout.write(`# condense ${name}: effective configuration (flag > env > file > default; secrets redacted)\n`);
      for (const e of entries) process.stdout.write(`${e.key.padEnd(w)}  ${show(e.value).padEnd(vw)}  ${e.source}${e.from ? ` ${e.from}` : ""}\n`);
    },
  };
}

const print: CommandModule = {
  command: "print",
  describe: "the effective config of a miner or validator with the source of each value (flag, env, file, default)",
  builder: (y: Argv) => {
    let out = y;
    for (const [name, r] of Object.entries(ROLES)) out = out.command(roleCommand(name, r));
    return out.demandCommand(1, "name a role: miner or validator");
  },
  handler: () => undefined,
};

export const command: CommandModule = {
  command: "config",
  describe: "inspect configuration: `config print miner|validator` shows every value and where it came from",
  builder: (y: Argv) => y.command(print).demandCommand(1, "name a config command: print"),
  handler: () => undefined,
};
