// Merges defaults < config file < environment < flags and validates the result with one zod schema.
// Errors name the key, the bad value and where it came from.
import { readFileSync } from "node:fs";
import type { z } from "zod";
import { envName, type OptionSpec, type OptionType } from "./options.js";

export type Source = "flag" | "env" | "file";

export interface ConfigIssue {
  key: string;
  message: string;
  value?: unknown;
  source?: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(readonly issues: ConfigIssue[]) {
    super(
      "invalid configuration:\n" +
        issues
          .map((i) => `  ${i.key}: ${i.message}${i.value !== undefined ? ` (got ${JSON.stringify(i.value)}` + (i.source ? ` from ${i.source})` : ")") : ""}`)
          .join("\n"),
    );
  }
}

export interface ResolveOptions<S extends z.ZodType> {
  schema: S;
  specs: readonly OptionSpec[];
  /** Parsed yargs argv (nested objects for dotted flags). */
  argv?: Record<string, unknown>;
  env?: NodeJS.ProcessEnv;
  envPrefix?: string;
  /** JSON config file; `argv.config` is used when absent. */
  configFile?: string;
  /** Filled with where each set key came from ("flag --k", "env NAME", "config file F"); absent keys are defaults. */
  sources?: Map<string, string>;
}

function getPath(obj: unknown, key: string): unknown {
  let cur: unknown = obj;
  for (const part of key.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

function setPath(obj: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split(".");
  let cur = obj;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (next === null || typeof next !== "object" || Array.isArray(next)) cur[part] = {};
    cur = cur[part] as Record<string, unknown>;
  }
  cur[parts[parts.length - 1]!] = value;
}

/** Strings from env (and file values written as strings) are converted by the option's type; a failed
 * conversion keeps the raw string so validation reports it verbatim. */
function convert(value: unknown, type: OptionType): unknown {
  // `--miner.tiers a,b` means what `--miner.tiers a b` and CONDENSE_MINER_TIERS=a,b mean.
  if (type === "array" && Array.isArray(value)) return value.flatMap((v) => (typeof v === "string" ? v.split(",").map((x) => x.trim()).filter(Boolean) : [v]));
  if (typeof value !== "string") return value;
  const s = value.trim();
  switch (type) {
    case "number":
      return s !== "" && Number.isFinite(Number(s)) ? Number(s) : value;
    case "boolean":
      if (/^(1|true|yes|on)$/i.test(s)) return true;
      if (/^(0|false|no|off)$/i.test(s)) return false;
      return value;
    case "array":
      return s === "" ? [] : s.split(",").map((x) => x.trim());
    default:
      return value;
  }
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new ConfigError([{ key: "config", message: `cannot read config file: ${(e as Error).message}`, value: file }]);
  }
  try {
    const raw: unknown = JSON.parse(text);
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) throw new Error("top level must be an object");
    // Dotted keys ("wallet.name": "x") and nested objects are both accepted.
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
      if (k.includes(".")) setPath(out, k, v);
      else out[k] = v;
    }
    return out;
  } catch (e) {
    throw new ConfigError([{ key: "config", message: `config file is not a valid JSON object: ${(e as Error).message}`, value: file }]);
  }
}

/** Dotted keys under a known section that are neither a flag nor a section (yargs' camelCase copies are skipped). */
function unknownKeys(argv: Record<string, unknown>, sections: ReadonlySet<string>, specs: readonly OptionSpec[]): string[] {
  const known = new Set([...specs.map((s) => s.key), ...sections]);
  const camel = (k: string) => k.replace(/[-_]([a-z0-9])/g, (_, c: string) => c.toUpperCase());
  const knownCamel = new Set([...known].map(camel));
  const out: string[] = [];
  for (const sec of sections) {
    const v = getPath(argv, sec);
    if (!v || typeof v !== "object" || Array.isArray(v)) continue;
    for (const k of Object.keys(v)) {
      const full = `${sec}.${k}`;
      if (!known.has(full) && !knownCamel.has(full) && !knownCamel.has(camel(full))) out.push(full);
    }
  }
  return out;
}

/** " (did you mean --x?)" for the closest flag by edit distance, when one is close. */
function suggest(key: string, specs: readonly OptionSpec[]): string {
  // Plain Levenshtein: a dozen lines, not worth a dependency.
  const dist = (a: string, b: string) => {
    let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      const cur = [i];
      for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
    return prev[b.length]!;
  };
  const section = key.slice(0, key.lastIndexOf("."));
  const best = specs
    .filter((s) => s.key.startsWith(section + "."))
    .map((s) => ({ k: s.key, d: s.key.startsWith(key) ? 0 : dist(key, s.key) }))
    .sort((a, b) => a.d - b.d)[0];
  return best && best.d <= Math.max(3, Math.floor(key.length / 3)) ? ` (did you mean --${best.k}?)` : "";
}

/** Returns the validated config; throws ConfigError listing every bad key. */
export function resolveConfig<S extends z.ZodType>(opts: ResolveOptions<S>): z.output<S> {
  const env = opts.env ?? process.env;
  const prefix = opts.envPrefix ?? "CONDENSE_";
  const argv = opts.argv ?? {};
  const merged: Record<string, unknown> = {};
  const origin = new Map<string, string>();
  const file = opts.configFile ?? (typeof argv["config"] === "string" ? argv["config"] : undefined) ?? env[`${prefix}CONFIG`];

  if (file) {
    const fromFile = readConfigFile(file);
    for (const s of opts.specs) {
      const v = getPath(fromFile, s.key);
      if (v !== undefined) {
        setPath(merged, s.key, convert(v, s.type));
        origin.set(s.key, `config file ${file}`);
      }
    }
    // Sections that are not flags (e.g. a "tiers" table) pass through for the schema to judge.
    for (const [k, v] of Object.entries(fromFile)) if (!(k in merged)) merged[k] = v;
  }
  for (const s of opts.specs) {
    const name = envName(s.key, prefix);
    const v = env[name];
    if (v !== undefined) {
      setPath(merged, s.key, convert(v, s.type));
      origin.set(s.key, `env ${name}`);
    }
  }
  // `--wallet x` (a value for a section) is a mistake for `--wallet.name x`; say so instead of ignoring it.
  const sections = new Set(opts.specs.flatMap((s) => s.key.split(".").slice(0, -1).map((_, i, p) => p.slice(0, i + 1).join("."))));
  const misplaced = [...sections].filter((k) => {
    const v = getPath(argv, k);
    return v !== undefined && (v === null || typeof v !== "object" || Array.isArray(v));
  });
  if (misplaced.length)
    throw new ConfigError(misplaced.map((k) => ({ key: k, message: `--${k} is a group of flags; use --${k}.<name>`, value: getPath(argv, k), source: `flag --${k}` })));
  // yargs' strict mode lets `--miner.algo` through once `miner` is declared; a misspelt flag must not be dropped silently.
  const unknown = unknownKeys(argv, sections, opts.specs);
  if (unknown.length)
    throw new ConfigError(unknown.map((k) => ({ key: k, message: `unknown flag --${k}${suggest(k, opts.specs)}`, value: getPath(argv, k), source: `flag --${k}` })));
  for (const s of opts.specs) {
    const v = getPath(argv, s.key);
    if (v !== undefined) {
      setPath(merged, s.key, convert(v, s.type));
      origin.set(s.key, `flag --${s.key}`);
    }
  }

  if (opts.sources) for (const [k, v] of origin) opts.sources.set(k, v);
  const r = opts.schema.safeParse(merged);
  if (!r.success) {
    throw new ConfigError(
      r.error.issues.map((i) => {
        const key = i.path.map(String).join(".") || "(root)";
        const value = i.path.length ? getPath(merged, key) : undefined;
        const source = origin.get(key) ?? [...origin.keys()].filter((k) => key.startsWith(k + ".")).map((k) => origin.get(k))[0];
        return { key, message: i.message, ...(value !== undefined ? { value } : {}), ...(source ? { source } : {}) };
      }),
    );
  }
  return r.data;
}
