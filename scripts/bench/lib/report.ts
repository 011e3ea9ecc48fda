// Shared benchmark reporting (../shared/benchmarks.md): machine info, targets, the last-line JSON and the file.
import { mkdirSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export interface Target {
  name: string;
  value: number | null;
  op: ">=" | "<=";
  target: number;
  met: boolean;
  why?: string;
}

export function target(name: string, value: number | null, op: ">=" | "<=", goal: number, why?: string): Target {
  const met = value !== null && Number.isFinite(value) && (op === ">=" ? value >= goal : value <= goal);
  return why ? { name, value, op, target: goal, met, why } : { name, value, op, target: goal, met };
}

function pythonVersions(): { python: string | null; torch: string | null } {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
  try {
    const out = execFileSync(path.join(root, ".venv/bin/python"), [
      "-c",
      "import sys,importlib.util as u;v=sys.version.split()[0];t=__import__('torch').__version__ if u.find_spec('torch') else None;print(v,t)",
    ]).toString().trim().split(" ");
    return { python: out[0] ?? null, torch: out[1] === "None" ? null : (out[1] ?? null) };
  } catch {
    return { python: null, torch: null };
  }
}

export function machine(): Record<string, unknown> {
  return { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", node: process.version, ...pythonVersions() };
}

/** Prints the JSON object as the last stdout line and writes docs/benchmarks/NAME[.quick].json. */
export function report(bench: string, quick: boolean, results: unknown[], targets: Target[], extra: Record<string, unknown> = {}): void {
  const obj = { bench, mode: quick ? "quick" : "full", when: new Date().toISOString().replace(/\.\d+Z$/, "Z"), machine: extra.machine ?? machine(), results, targets, ...extra };
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
  const dir = path.join(root, "docs/benchmarks");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, `${bench}${quick ? ".quick" : ""}.json`), JSON.stringify(obj, null, 2) + "\n");
  process.stdout.write(JSON.stringify(obj) + "\n");
}
