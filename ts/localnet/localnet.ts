// A whole subnet in one process on loopback: the DevChain with its block clock, one validator and several
// miners (different algorithms, one misbehaving), all on one small shared pool of real Python workers.
// The validator's calibration is kept in the state folder so only the first run pays for it.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import type { Logger } from "pino";
import { cryptoReady } from "../bittensor/signing.js";
import { DevChain } from "../chain/devchain.js";
import { WorkerPoolCompressor, type Compressor } from "../miner/compressor.js";
import { minerConfigFromArgs } from "../miner/config.js";
import { startMiner } from "../miner/miner.js";
import type { CompressResult } from "../miner/service.js";
import type { NeuronPool } from "../neuron/index.js";
import { kindUsed, type CalibrationTable } from "../validator/challenges/calibration.js";
import { validatorConfigFromArgs } from "../validator/config.js";
import { openValidatorState } from "../validator/state/index.js";
import type { PeriodOutcome } from "../validator/schedule/period.js";
import { startValidator, type RunningValidator } from "../validator/validator.js";
import type { WeightsOutcome } from "../validator/weights/index.js";
import { Keypair } from "../wallet/keypair.js";
import { WorkerPool, WorkerStartError } from "../workers/index.js";
import { StartupError } from "../neuron/errors.js";
import { startDashboard, type RunningDashboard } from "./dashboard/index.js";
import { leaderboard, type BoardRow } from "./leaderboard.js";
import { ReplayCompressor } from "./replay.js";

export const LOCALNET_NETUID = 1;
export const LOCALNET_TIERS = fileURLToPath(new URL("./tiers.json", import.meta.url));
/** Task kinds on a tiny (random-weight) model: two cheap ones, since scores mean nothing there anyway. */
export const TINY_KINDS = ["needle_single", "kv_retrieval"];
const RAO = 1_000_000_000n;

export interface LocalMinerPlan {
  name: string;
  algorithm: string;
  ratio: number;
  /** "replay": answers every challenge with a copy of one old container (bound to another context). */
  behaviour?: "honest" | "replay";
}

export const DEFAULT_MINERS: readonly LocalMinerPlan[] = [
  { name: "kvzip_shared", algorithm: "kvzip_shared", ratio: 0.5 },
  { name: "kvzip", algorithm: "kvzip", ratio: 0.5 },
  { name: "streaming_llm", algorithm: "streaming_llm", ratio: 0.5 },
  { name: "knorm", algorithm: "knorm", ratio: 0.5 },
  { name: "replay (cheat)", algorithm: "streaming_llm", ratio: 0.5, behaviour: "replay" },
];

export interface LocalnetOptions {
  /** State folder: calibration tables, the validator's database, miners' storage. */
  dir: string;
  model: string;
  periodS: number;
  workers: number;
  threads: number;
  /** Synthetic challenges per miner per period. */
  queries: number;
  questions: number;
  minFullAccuracy: number;
  challengeKinds: string[];
  miners?: readonly LocalMinerPlan[];
  python?: string;
  log: Logger;
  /** After every closed period, with the leaderboard. */
  onPeriod?: (board: BoardRow[], p: PeriodOutcome, w: WeightsOutcome | null) => void;
  /** Progress lines for the terminal (start-up steps). */
  say?: (line: string) => void;
  /** Challenge secret (64 hex digits): the same challenges every run, so a run can be reproduced. Default: random. */
  seed?: string;
  /** Every container a miner served, with its phase timings (the localnet benchmark). */
  onCompressed?: (miner: LocalMinerPlan, r: CompressResult) => void;
  /** The dashboard on 127.0.0.1 (docs/localnet.md); port 0 (default) is an ephemeral one; false: none. */
  dashboard?: false | { port?: number };
}

export interface LocalnetMiner extends LocalMinerPlan {
  uid: number;
  hotkey: string;
}

export interface Localnet {
  chain: DevChain;
  validatorUid: number;
  miners: LocalnetMiner[];
  validator: RunningValidator;
  pool: WorkerPool;
  calibrationFile: string;
  /** The dashboard's address (http://127.0.0.1:PORT/), null when it is off. */
  dashboardUrl: string | null;
  /** Periods closed so far. */
  periods(): number;
  board(): BoardRow[];
  /** Chain weights of the validator, as (uid, share of 1). */
  weights(): Array<[number, number]>;
  /** Stops the validator, the miners, the workers and the block clock; safe to call twice. */
  stop(): Promise<void>;
  /** Kills the worker processes at once (a second Ctrl-C). */
  kill(): void;
}

/** File name of the stored calibration for a model and challenge size (not for a threshold: `used` is recomputed). */
export function calibrationPath(dir: string, model: string, minChars: number, maxChars: number): string {
  return path.join(dir, `calibration-${model.replace(/[^A-Za-z0-9._-]+/g, "_")}-${minChars}-${maxChars}.json`);
}

/** A stored table with `used` recomputed for this run's threshold; null when there is none or it is unreadable. */
function storedCalibration(file: string, minAccuracy: number, out: string): string | null {
  if (!existsSync(file)) return null;
  try {
    const t = JSON.parse(readFileSync(file, "utf8")) as CalibrationTable;
    t.kinds = t.kinds.map((k) => ({ ...k, used: kindUsed(k, minAccuracy) }));
    writeFileSync(out, JSON.stringify(t));
    return out;
  } catch {
    return null;
  }
}

function saveMeasured(db: string, key: string, out: string): void {
  if (!existsSync(db)) return;
  try {
    const d = new Database(db, { readonly: true });
    try {
      const r = d.prepare("SELECT value FROM validator_meta WHERE key = ?").get(key) as { value: string } | undefined;
      if (r) writeFileSync(out, JSON.stringify(JSON.parse(r.value), null, 2) + "\n");
    } finally {
      d.close();
    }
  } catch {
    // best effort: the next run measures again
  }
}

export async function startLocalnet(o: LocalnetOptions): Promise<Localnet> {
  await cryptoReady();
  const say = o.say ?? (() => undefined);
  mkdirSync(o.dir, { recursive: true, mode: 0o700 });
  const run = path.join(o.dir, "run");
  // A fresh chain every run: the last run's database and files mean nothing on it.
  rmSync(run, { recursive: true, force: true });
  mkdirSync(run, { recursive: true, mode: 0o700 });

  const closers: Array<{ what: string; f: () => Promise<unknown> | unknown }> = [];
  let stopping: Promise<void> | null = null;
  const stop = () =>
    (stopping ??= (async () => {
      for (const c of closers.reverse()) await Promise.resolve(c.f()).catch((e: unknown) => o.log.warn({ err: String(e), part: c.what }, "stop failed"));
    })());
  let pool: WorkerPool | null = null;
  try {
    const chain = new DevChain({ allowLoopback: true, blockTimeMs: 1000 });
    // One epoch about every period, so incentives on chain follow the weights.
    chain.createSubnet(LOCALNET_NETUID, { weightsRateLimit: 0, tempo: Math.max(10, Math.round(o.periodS)) });
    const cold = Keypair.fromUri("//LocalnetCold").address;
    const vkey = Keypair.fromUri("//LocalnetValidator");
    const validatorUid = chain.registerHotkey(LOCALNET_NETUID, vkey.address, cold);
    const plans = o.miners ?? DEFAULT_MINERS;
    const keys = plans.map((p, i) => Keypair.fromUri(`//LocalnetMiner/${i}`));
    const miners: LocalnetMiner[] = plans.map((p, i) => ({ ...p, uid: chain.registerHotkey(LOCALNET_NETUID, keys[i]!.address, cold), hotkey: keys[i]!.address }));
    chain.addStake(LOCALNET_NETUID, vkey.address, 1000n * RAO);
    chain.runEpoch(LOCALNET_NETUID);
    chain.start();
    closers.push({
      what: "chain",
      f: async () => {
        chain.stop();
        await chain.close();
      },
    });

    say(`starting ${o.workers} ${o.model} worker(s) with --threads ${o.threads} (shared by every miner and the validator) ...`);
    const p = await WorkerPool.start({
      workers: [{ model: o.model, device: "cpu", count: o.workers }],
      threads: o.threads,
      handleSignals: false,
      // A model load on a busy 2-core machine can take minutes (measured: over 2 at load 9).
      readyTimeoutMs: 600_000,
      logger: o.log.child({ part: "pool" }),
      ...(o.python ? { python: o.python } : {}),
    }).catch((e: unknown) => {
      if (e instanceof WorkerStartError) throw new StartupError(e.message, "check --model (smollm2, tiny:llama, a local model folder) and the worker environment (.venv, --python)", "model", { cause: e });
      throw e;
    });
    pool = p;
    let poolClosing: Promise<void> | null = null;
    const closePool = () => (poolClosing ??= p.close());
    closers.push({ what: "workers", f: closePool });
    const shared = new WorkerPoolCompressor(p);

    for (const [i, m] of miners.entries()) {
      const args = [
        "--netuid", String(LOCALNET_NETUID), "--subtensor.network", "dev", "--axon.port", "0", "--axon.ip", "127.0.0.1", "--model", o.model,
        "--miner.allow_stand_in", "--miner.min_stake", "1", "--miner.tiers_file", LOCALNET_TIERS, "--miner.algorithm", m.algorithm, "--miner.ratio", String(m.ratio),
        "--miner.work_dir", path.join(run, `work-${i}`), "--storage.sweep_interval_s", "0", "--storage.http.host", "127.0.0.1", "--storage.http.port", "0",
        "--storage.http.dir", path.join(run, `store-${i}`), "--logging.level", "warn",
      ];
      const compressor: Compressor = m.behaviour === "replay" ? new ReplayCompressor(shared, path.join(run, `replay-donor-${i}.safetensors`)) : shared;
      const rm = await startMiner(minerConfigFromArgs(args), { chain, hotkey: keys[i]!, compressor, logger: o.log.child({ part: `miner ${m.name}` }), ...(o.onCompressed ? { onCompressed: (r: CompressResult) => o.onCompressed!(m, r) } : {}) });
      closers.push({ what: `miner ${m.name}`, f: () => rm.stop() });
      say(`miner uid ${m.uid} ${m.name} (${m.algorithm} at ratio ${m.ratio}) on 127.0.0.1:${rm.axon.port}`);
    }

    const tiers = JSON.parse(readFileSync(LOCALNET_TIERS, "utf8")) as { tiers: Record<string, { max_context_length_in_chars: number }> };
    const maxChars = Object.values(tiers.tiers)[0]!.max_context_length_in_chars;
    const minChars = Math.min(maxChars, Math.max(1000, Math.floor(maxChars / 2)));
    const calibrationFile = calibrationPath(o.dir, o.model, minChars, maxChars);
    const stored = storedCalibration(calibrationFile, o.minFullAccuracy, path.join(run, "calibration.json"));
    say(stored ? `calibration: reusing ${calibrationFile}` : `calibration: measuring the full cache's accuracy per task kind on ${o.model} (first run only; minutes on SmolLM2) ...`);

    if (o.seed !== undefined) {
      if (!/^[0-9a-f]{64}$/i.test(o.seed)) throw new StartupError(`the localnet seed must be 64 hex digits (got ${o.seed.length} characters)`, "pass --seed as 32 bytes in hex, or leave it out for a random one", "seed");
      // Written before the validator opens the state: it never replaces a secret once one exists.
      const st = openValidatorState(path.join(run, "validator.db"));
      try {
        st.secret(Buffer.from(o.seed, "hex"));
      } finally {
        st.close();
      }
    }
    let dashboard: RunningDashboard | null = null;
    if (o.dashboard !== false) {
      // It reads the validator's database read-only, so the database is made (migrated) first: the page is up
      // while the validator calibrates.
      const dbFile = path.join(run, "validator.db");
      openValidatorState(dbFile).close();
      const port = o.dashboard?.port ?? 0;
      const note = `${o.model}${o.model.startsWith("tiny:") ? ": RANDOM WEIGHTS, every score and weight here is MEANINGLESS" : ""}`;
      const d = await startDashboard({ statePath: dbFile, chain, netuid: LOCALNET_NETUID, validatorUid, miners, port, note }).catch((e: unknown) => {
        throw new StartupError(`the dashboard cannot listen on 127.0.0.1:${port}: ${(e as Error).message}`, "pick another --dashboard_port (0: any free one) or turn it off with --no-dashboard", "dashboard_port", { cause: e });
      });
      dashboard = d;
      closers.push({ what: "dashboard", f: () => d.close() });
      say(`dashboard: ${d.url}`);
    }
    let periods = 0;
    const board = () => leaderboard({ chain, netuid: LOCALNET_NETUID, validatorUid, state: validator.state, miners });
    const cfg = validatorConfigFromArgs([
      "--netuid", String(LOCALNET_NETUID), "--subtensor.network", "dev", "--model", o.model, "--validator.allow_stand_in", "--validator.allow_private",
      "--validator.tiers_file", LOCALNET_TIERS, "--validator.state_path", path.join(run, "validator.db"), "--validator.period_s", String(o.periodS),
      "--validator.max_queries_per_contender", String(o.queries), "--validator.questions", String(o.questions), "--validator.top_fraction", "1",
      "--validator.min_full_accuracy", String(o.minFullAccuracy), "--validator.query_concurrency", String(Math.max(2, o.workers)),
      "--validator.download_timeout_s", "30", "--logging.level", "warn",
      ...(o.challengeKinds.length ? ["--validator.challenge_kinds", ...o.challengeKinds] : []),
      ...(stored ? ["--validator.calibration_file", stored] : []),
    ]);
    // The validator challenges and evaluates on the miners' workers: one small machine, one pool.
    const validatorPool: NeuronPool = { request: (r) => p.request(r), workers: () => p.workers(), close: async () => undefined };
    let validator!: RunningValidator;
    const onPeriod = (per: PeriodOutcome, w: WeightsOutcome | null) => {
      periods++;
      try {
        o.onPeriod?.(board(), per, w);
      } catch (e) {
        o.log.warn({ err: String(e) }, "leaderboard failed");
      }
    };
    try {
      validator = await startValidator(cfg, { chain, hotkey: vkey, startPool: async () => validatorPool, onPeriod, logger: o.log.child({ part: "validator" }) });
    } catch (e) {
      // A refusal after calibrating (no kind reaches --validator.min_full_accuracy) must not lose minutes of
      // measurement: keep the table the validator stored, so a rerun with a lower threshold starts at once.
      if (!stored) saveMeasured(path.join(run, "validator.db"), `calibration:${o.model}:${minChars}-${maxChars}`, calibrationFile);
      throw e;
    }
    closers.push({
      what: "validator",
      f: async () => {
        // The period loop waits for its in-flight challenges; a long compress on a busy machine would hold
        // the stop, so after a grace the workers are closed under them (the period stays open, nothing is lost).
        const grace = setTimeout(() => {
          say("challenges still in flight after 10 s: closing the workers under them");
          void closePool();
        }, 10_000);
        try {
          await validator.stop();
        } finally {
          clearTimeout(grace);
        }
      },
    });
    if (!stored) writeFileSync(calibrationFile, JSON.stringify(validator.calibration, null, 2) + "\n");
    const used = validator.calibration.kinds.filter((k) => k.used && (!o.challengeKinds.length || o.challengeKinds.includes(k.kind)));
    say(`task kinds in use (full-cache accuracy): ${used.map((k) => `${k.kind} ${k.accuracy.toFixed(2)}`).join(", ")}; not used (below --validator.min_full_accuracy ${o.minFullAccuracy} or not asked for): ${validator.calibration.kinds.filter((k) => !used.includes(k)).map((k) => k.kind).join(", ") || "none"}`);

    return {
      chain,
      validatorUid,
      miners,
      validator,
      pool: p,
      calibrationFile,
      dashboardUrl: dashboard?.url ?? null,
      periods: () => periods,
      board,
      weights: () => {
        const row = chain.weightsOf(LOCALNET_NETUID, validatorUid);
        const sum = row.reduce((a, [, w]) => a + w, 0);
        return row.map(([u, w]) => [u, sum ? w / sum : 0] as [number, number]);
      },
      stop,
      kill: () => p.killAllSync(),
    };
  } catch (e) {
    await stop();
    throw e;
  }
}
