// Running the real CLI (bin/condense.js) and the Python wallet SDK peer for the test/cli tests.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";

export interface Run {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

export const root = path.resolve(import.meta.dirname, "../..");
const bin = path.join(root, "bin/condense.js");
export const SDK_PY = path.join(root, ".venv-bt/bin/python");
const PEER = path.join(root, "test/cli/py/sdk_wallet.py");

/** Variables the CLI reads that the test machine may have set: cleared so every run sees only what the test gives. */
const CLEARED = ["CONDENSE_CONFIG", "CONDENSE_WALLET_PASSWORD", "CONDENSE_WALLET_NAME", "CONDENSE_WALLET_HOTKEY", "CONDENSE_WALLET_PATH", "CONDENSE_NETUID", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"];

/** `condense args...` as a process; never rejects for a non-zero exit. stdin gets `input` (then EOF), or nothing. */
export function condense(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !CLEARED.includes(k) && !k.startsWith("BT_PW_")) env[k] = v;
  return execa(process.execPath, [bin, ...args], {
    cwd: root,
    reject: false,
    timeout: 180_000,
    env: { ...env, ...opts.env },
    extendEnv: false,
    input: opts.input ?? "",
  }).then((r) => ({ exitCode: r.exitCode, stdout: String(r.stdout), stderr: String(r.stderr) }));
}

/** The official SDK peer (test/cli/py/sdk_wallet.py); its last stdout line is JSON. */
export function sdk(args: string[], input?: string): Record<string, unknown> {
  if (!existsSync(SDK_PY)) throw new Error(`${SDK_PY} missing: run scripts/setup.d/20-bittensor-sdk.sh`);
  const r = spawnSync(SDK_PY, [PEER, ...args], { encoding: "utf8", timeout: 180_000, ...(input !== undefined ? { input } : {}) });
  if (r.status !== 0) throw new Error(`sdk_wallet.py ${args[0]} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as Record<string, unknown>;
}
