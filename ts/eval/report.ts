// The report on disk: the JSON object (EvalReport) and the PNG drawn from it by scripts/eval/plot.py (matplotlib).
import { execFile } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { EvalReport } from "./types.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const PLOT_SCRIPT = path.join(REPO_ROOT, "scripts", "eval", "plot.py");
export const DEFAULT_PYTHON = path.join(REPO_ROOT, ".venv", "bin", "python");

export async function writeReport(file: string, r: EvalReport): Promise<void> {
  await mkdir(path.dirname(path.resolve(file)), { recursive: true });
  await writeFile(file, `${JSON.stringify(r, null, 2)}\n`);
}

/** Draws `json` into `png`; rejects with the script's stderr when it fails. */
export async function drawPlot(json: string, png: string, python: string = DEFAULT_PYTHON): Promise<void> {
  await mkdir(path.dirname(path.resolve(png)), { recursive: true });
  try {
    await promisify(execFile)(python, [PLOT_SCRIPT, json, png], { timeout: 120_000 });
  } catch (e) {
    const err = e as Error & { stderr?: string };
    throw new Error(`the plot failed (${python} ${PLOT_SCRIPT}): ${(err.stderr ?? err.message).trim().split("\n").slice(-3).join(" | ")}`);
  }
}
