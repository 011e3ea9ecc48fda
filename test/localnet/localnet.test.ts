// `condense localnet` from outside, as a newcomer runs it: a child process through bin/condense.js with a short
// period. It must run whole periods (challenges answered, the cheating miner refused), end by itself at
// --duration or cleanly at SIGINT, print its summary as the last line, and leave no Python worker behind.
// On tiny:llama (random weights) no answer is right, so the validator earns nobody anything and sets no weights;
// weights on chain from SmolLM2 miners are covered by test/validator/cycle.e2e.test.ts.

import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const BIN = path.join(ROOT, "bin/condense.js");
const dirs: string[] = [];

interface Summary {
  localnet: { model: string; periods: number; validator_uid: number; pid: number; miners: Array<{ uid: number; name: string; hotkey: string }>; weights: Array<[number, number]> };
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  summary: Summary["localnet"];
  dir: string;
}

/** Worker processes whose command line names this localnet's pool (its socket folder carries the parent's pid). */
function workersOf(pid: number): string[] {
  const out: string[] = [];
  for (const p of readdirSync("/proc")) {
    if (!/^\d+$/.test(p)) continue;
    let cmd = "";
    try {
      cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      continue;
    }
    if (cmd.includes("condense_worker") && cmd.includes(`condense-${pid}-`)) out.push(`${p}: ${cmd}`);
  }
  return out;
}

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "localnet-test-"));
  dirs.push(dir);
  return dir;
}

async function localnet(args: string[], o: { dir?: string; summary?: false; sigintWhen?: (stdout: string) => boolean; seenWorkers?: (pids: string[]) => void } = {}): Promise<Run> {
  const dir = o.dir ?? (await tempDir());
  const child = spawn(process.execPath, [BIN, "localnet", "--state_dir", dir, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  let signalled = false;
  let sawWorkers = false;
  child.stdout.on("data", (b: Buffer) => {
    stdout += b.toString();
    if (!sawWorkers && stdout.includes("miner uid")) {
      sawWorkers = true;
      o.seenWorkers?.(workersOf(child.pid!));
    }
    if (!signalled && o.sigintWhen?.(stdout)) {
      signalled = true;
      // A few seconds in: challenges are in flight on the workers.
      setTimeout(() => child.kill("SIGINT"), 4000);
    }
  });
  child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) => child.on("exit", (c, s) => r([c, s])));
  if (o.summary === false) return { code, signal, stdout, stderr, summary: null as never, dir };
  const last = stdout.trim().split("\n").at(-1) ?? "";
  let summary: Summary["localnet"];
  try {
    summary = (JSON.parse(last) as Summary).localnet;
  } catch {
    throw new Error(`no summary line; exit ${code} ${signal}\n--- stdout\n${stdout}\n--- stderr\n${stderr.slice(-4000)}`);
  }
  expect(summary.pid).toBe(child.pid);
  return { code, signal, stdout, stderr, summary, dir };
}

const db = (dir: string) => new Database(path.join(dir, "run/validator.db"), { readonly: true });

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe("condense localnet", () => {
  it("on tiny:llama: runs periods, refuses the cheat, warns loudly, ends at --duration with no worker left", async () => {
    let during: string[] = [];
    const r = await localnet(["--model", "tiny:llama", "--period_s", "10", "--duration", "85", "--queries", "1"], { seenWorkers: (w) => (during = w) });
    expect(r.code, r.stderr.slice(-3000)).toBe(0);
    expect(r.stderr).toContain("MEANINGLESS");
    // The workers were there while it ran (2 shared ones, not one per miner) and are gone after.
    expect(during.length).toBe(2);
    expect(workersOf(r.summary.pid)).toEqual([]);
    expect(r.summary.periods).toBeGreaterThanOrEqual(1);
    expect(r.stdout).toMatch(/period \d+ closed at/);
    const d = db(r.dir);
    try {
      const closed = d.prepare("SELECT id FROM periods WHERE closed_at IS NOT NULL").all() as Array<{ id: number }>;
      expect(closed.length).toBe(r.summary.periods);
      // Every closed period was weighed (the validator ran its weights step), even if nothing was earned.
      for (const { id } of closed) expect((d.prepare("SELECT COUNT(*) AS n FROM weights_history WHERE period_id = ?").get(id) as { n: number }).n).toBeGreaterThan(0);
      const cheat = r.summary.miners.find((m) => m.name.startsWith("replay"))!;
      const honest = r.summary.miners.filter((m) => m !== cheat);
      const outcomes = (hk: string) => d.prepare("SELECT outcome, refusal_code AS code FROM results WHERE hotkey = ?").all(hk) as Array<{ outcome: string; code: string | null }>;
      expect(outcomes(cheat.hotkey).length).toBeGreaterThan(0);
      for (const o of outcomes(cheat.hotkey)) expect(o).toEqual({ outcome: "refused", code: "BINDING_MISMATCH" });
      // Every honest miner answered at least one challenge with a container the validator accepted.
      for (const m of honest) expect([m.name, outcomes(m.hotkey).some((o) => o.outcome === "ok")]).toEqual([m.name, true]);
    } finally {
      d.close();
    }
  }, 150_000);

  it("refuses a threshold no kind reaches (exit 2, says what to fix), keeps the calibration; SIGINT mid-run stops cleanly", async () => {
    const dir = await tempDir();
    const refused = await localnet(["--model", "tiny:llama", "--validator.min_full_accuracy", "0.5"], { dir, summary: false });
    expect(refused.code, refused.stderr.slice(-3000)).toBe(2);
    expect(refused.stderr).toMatch(/error: .*min_full_accuracy/);
    const stored = readdirSync(dir).filter((f) => f.startsWith("calibration-tiny_llama-"));
    expect(stored.length).toBe(1);

    // The rerun with a threshold tiny:llama meets reuses that table, and is stopped by SIGINT mid-period.
    const r = await localnet(["--model", "tiny:llama", "--period_s", "60"], { dir, sigintWhen: (out) => out.includes("ready after") });
    expect(r.stdout).toContain("calibration: reusing");
    expect([r.code, r.signal], r.stderr.slice(-3000)).toEqual([0, null]);
    expect(r.stderr).toContain("SIGINT: stopping");
    expect(workersOf(r.summary.pid)).toEqual([]);
  }, 180_000);
});
