// Shared helpers for worker-pool tests: the scripted fake worker, process checks, a quiet logger.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import pino from "pino";
import type { WorkerCommand } from "../../ts/workers/index.js";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const PYTHON = path.join(REPO, ".venv/bin/python");
export const FIXTURES = path.join(REPO, "test/workers/fixtures");

export const quietLogger = () => pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

export type FakeMode = "normal" | "bad-version" | "crash" | "crash-early" | "no-hello" | "silent" | "garbage-reply" | "with-child";

/** Runs test/workers/fixtures/fake_worker.py; `modes` picks a mode per spawn (first spawn, restart, ...). */
export function fakeCommand(opts: { modes?: FakeMode[]; heartbeatMs?: number; maxInflight?: number } = {}): WorkerCommand {
  let spawned = 0;
  return ({ id, endpoint, spec, python, threads }) => {
    const modes = opts.modes ?? ["normal"];
    const mode = modes[Math.min(spawned++, modes.length - 1)]!;
    return {
      file: python,
      args: [
        path.join(FIXTURES, "fake_worker.py"),
        "--connect", endpoint,
        "--worker-id", id,
        "--model", spec.model,
        "--mode", mode,
        "--heartbeat-ms", String(opts.heartbeatMs ?? 500),
        "--max-inflight", String(opts.maxInflight ?? 1),
        ...(threads ? ["--threads", String(threads)] : []),
      ],
    };
  };
}

/** True while a process exists and is not a zombie. */
export function alive(pid: number): boolean {
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return false;
  try {
    const state = readFileSync(stat, "utf8").split(") ")[1]?.[0];
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

export async function waitFor(cond: () => boolean, timeoutMs: number, stepMs = 25): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  return cond();
}

/** Process group id of a live process (field 5 of /proc/PID/stat). */
export function pgidOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return Number(fields[2]);
}

/** Live child processes of this process whose command line contains `needle`. */
export function childrenMatching(needle: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, "utf8").split(") ")[1]!.split(" ");
      if (Number(stat[1]) !== process.pid || stat[0] === "Z") continue;
      if (readFileSync(`/proc/${d}/cmdline`, "utf8").includes(needle)) out.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

/**
 * Starts test/workers/fixtures/pool_parent.ts (a process that owns a pool of `count` workers of `model`) and
 * waits for the JSON line with its worker pids. Run with node --import tsx (not the tsx wrapper) so the pid
 * we signal is the process that owns the pool.
 */
export async function startPoolParent(model: string, count: number, extraArgs: string[] = []) {
  const child = execa(process.execPath, ["--import", "tsx", path.join(FIXTURES, "pool_parent.ts"), model, String(count), ...extraArgs], {
    cwd: REPO,
    reject: false,
    buffer: false,
  });
  const line = await new Promise<string>((resolve, reject) => {
    let acc = "";
    child.stdout!.on("data", (d: Buffer) => {
      acc += d.toString();
      const nl = acc.indexOf("\n");
      if (nl >= 0) resolve(acc.slice(0, nl));
    });
    void child.then(() => reject(new Error("parent exited before printing its workers")));
  });
  return { child, pids: (JSON.parse(line) as { pids: number[] }).pids };
}
