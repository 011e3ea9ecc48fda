// Reads and validates a tier table file; every problem names the file and the field.
import { readFileSync } from "node:fs";
import { SEED_TIERS } from "./tier-seed.js";
import { TierTableSchema, type TierConfig, type TierTable } from "./tier-schema.js";

export class TierConfigError extends Error {
  override readonly name = "TierConfigError";
  constructor(
    message: string,
    readonly file: string | null,
  ) {
    super(message);
  }
}

export class UnknownTierError extends Error {
  override readonly name = "UnknownTierError";
  constructor(
    readonly tier: string,
    readonly known: string[],
  ) {
    super(`unknown tier '${tier}' (known: ${known.join(", ")})`);
  }
}

/** Zod reports a bad record key as "Invalid key in record" with the reason nested; surface the reason. */
function describeIssue(i: { message: string; issues?: ReadonlyArray<{ message: string }> }): string {
  return i.issues?.length ? `${i.message} (${i.issues.map((x) => x.message).join("; ")})` : i.message;
}

/** Validates an already-parsed table (for example from a config file section). */
export function parseTierTable(raw: unknown, source: string | null = null): TierTable {
  const r = TierTableSchema.safeParse(raw);
  if (!r.success) {
    const where = source ? `${source}: ` : "";
    const detail = r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${describeIssue(i)}`).join("; ");
    throw new TierConfigError(`${where}invalid tier table: ${detail}`, source);
  }
  return r.data;
}

/** Loads a tier table from a JSON file, or returns the seed table when `file` is undefined. */
export function loadTierTable(file?: string): TierTable {
  if (file === undefined) return structuredClone(SEED_TIERS);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new TierConfigError(`${file}: cannot read tier table: ${(e as Error).message}`, file);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new TierConfigError(`${file}: not valid JSON: ${(e as Error).message}`, file);
  }
  return parseTierTable(raw, file);
}

export function getTier(table: TierTable, name: string): TierConfig {
  const t = table.tiers[name];
  if (!t) throw new UnknownTierError(name, Object.keys(table.tiers));
  return t;
}
