// Localnet benchmark: how long `condense localnet` takes from its start to the first weights on the DevChain,
// what the start-up spends it on (workers, miners, calibration, the wait for the period to end), and where each
// challenge's time goes, stage by stage: the validator's challenge, the miner's queue, compute and upload, the
// network and axon, the validator's download, verify, evaluate and score. The slowest stage is named.
// Baseline, in the same run: the time no code can save, the wait from "ready" to the end of the (wall-clock
// aligned) first period; and the README's claim for the first weights.
//   npm run bench -- localnet [--quick] [--models tiny:llama,smollm2] [--period_s N] [--duration S]
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { startLocalnet, TINY_KINDS, type Localnet } from "../../ts/localnet/index.js";
import type { PhaseTimings } from "../../ts/miner/service.js";
import type { PeriodOutcome } from "../../ts/validator/schedule/period.js";
import { QUERY_STAGES, summarizeStages, type StageStat } from "../../ts/validator/schedule/timings.js";
import { report, target, type Target } from "./lib/report.js";

// Module load of the CLI's code path (tsx compiles on the fly), as `condense localnet` pays it too.
const importsMs = performance.now();
const argv = process.argv.slice(2);
const quick = argv.includes("--quick");
const flag = (name: string): string | undefined => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const models = (flag("models") ?? (quick ? "tiny:llama" : "tiny:llama,smollm2")).split(",").filter(Boolean);
const WORKERS = 2;
const THREADS = Math.max(1, Math.floor(os.availableParallelism() / WORKERS));
// README: "the first weights are on the chain after about 6 minutes" (SmolLM2, first run, 2 cores).
const README_FIRST_WEIGHTS_S = 360;

interface ModelPlan {
  periodS: number;
  queries: number;
  /** Closed periods to collect after the first weights (the first period is partial). */
  extraPeriods: number;
  durationS: number;
}

function planFor(model: string): ModelPlan {
  const tiny = model.startsWith("tiny:");
  const periodS = Number(flag("period_s") ?? (quick ? 20 : tiny ? 60 : 120));
  const durationS = Number(flag("duration") ?? (quick ? 120 : tiny ? 300 : 660));
  return { periodS, queries: quick ? 1 : 3, extraPeriods: quick ? 0 : 1, durationS };
}

const r1 = (x: number) => Math.round(x * 10) / 10;
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const say = (s: string) => process.stdout.write(`${s}\n`);

interface ModelResult {
  row: Record<string, unknown>;
  stages: StageStat[];
  slowest: string | null;
  firstWeightsS: number | null;
}

async function runModel(model: string, first: boolean): Promise<ModelResult> {
  const plan = planFor(model);
  const tiny = model.startsWith("tiny:");
  const dir = await mkdtemp(path.join(os.tmpdir(), "bench-localnet-"));
  const t0 = performance.now();
  // The first model's clock starts with the process (module load included); later ones at their own start.
  const since = () => (performance.now() - t0 + (first ? importsMs : 0)) / 1000;
  const marks: Record<string, number> = {};
  const minerTimings: PhaseTimings[] = [];
  const periods: Array<{ outcome: PeriodOutcome; at: number; weights: string }> = [];
  let firstWeightsS: number | null = null;
  // The validator's first weights step (any outcome): on tiny:llama nothing is ever earned, so nothing is set.
  let firstStepS: number | null = null;
  let poll: NodeJS.Timeout | null = null;
  let startup: Promise<Localnet | null> = Promise.resolve(null);
  say(`[localnet] ${model}: period ${plan.periodS} s, ${WORKERS} workers x ${THREADS} thread(s), ${plan.queries} challenge(s) per miner per period, at most ${plan.durationS} s`);
  try {
    const done = new Promise<void>((resolve) => {
      const cap = setTimeout(resolve, plan.durationS * 1000 - since() * 1000);
      const check = () => {
        const need = 1 + plan.extraPeriods;
        if ((firstWeightsS !== null || (tiny && firstStepS !== null)) && periods.filter((p) => p.outcome.closed).length >= need) {
          clearTimeout(cap);
          resolve();
        }
      };
      const started = startLocalnet({
        dir,
        model,
        periodS: plan.periodS,
        workers: WORKERS,
        threads: THREADS,
        queries: plan.queries,
        questions: 2,
        minFullAccuracy: tiny ? 0 : 0.6,
        challengeKinds: tiny ? TINY_KINDS : [],
        log: pino({ level: "error" }),
        say: (line) => {
          // Start-up steps, timestamped: which one the minutes go to.
          const step = line.startsWith("starting") ? "workers_start" : line.startsWith("miner uid") ? "miner_ready" : line.startsWith("calibration") ? "calibration_start" : line.startsWith("task kinds") ? "calibration_done" : null;
          if (step) marks[step] = since();
          say(`  [${since().toFixed(1)} s] ${line}`);
        },
        onCompressed: (_m, r) => minerTimings.push(r.timings),
        onPeriod: (_board, p, w) => {
          const weights = w ? (w.status === "skipped" ? `skipped (${w.reason})` : w.status) : "none";
          if (w && firstStepS === null) firstStepS = since();
          periods.push({ outcome: p, at: since(), weights });
          say(`  [${since().toFixed(1)} s] period ${p.periodId} closed: ${p.queries} challenge(s), weights ${weights}`);
          check();
        },
      });
      startup = started.then(
        (l) => {
          marks["ready"] = since();
          poll = setInterval(() => {
            if (firstWeightsS === null && l.weights().length > 0) {
              firstWeightsS = since();
              say(`  [${firstWeightsS.toFixed(1)} s] first weights on the DevChain`);
            }
            check();
          }, 100);
          return l;
        },
        (e: unknown) => {
          say(`  start-up failed: ${e instanceof Error ? e.message : String(e)}`);
          clearTimeout(cap);
          resolve();
          return null;
        },
      );
    });
    await done;
  } finally {
    // A start-up still running when --duration ran out is waited for (its poll starts then), then stopped.
    await startup;
    if (poll) clearInterval(poll);
  }
  const l = await startup;
  const validatorRows = l ? l.validator.state.resultTimings() : [];
  const outcomes = l ? l.validator.state.resultCounts() : null;
  if (l) await l.stop();
  await rm(dir, { recursive: true, force: true });

  // Validator stages, with the miner's round trip split into what the miner reports and the rest.
  const v = summarizeStages(validatorRows.map((r) => r.timings));
  const m = summarizeStages(minerTimings.map((t) => ({ queue: t.queue_ms, compute: t.compute_ms + t.serialize_ms, upload: t.validate_ms + t.sign_ms + t.export_ms + t.upload_ms + t.url_ms, total: t.total_ms })), ["queue", "compute", "upload", "total"]);
  const vs = new Map(v.stages.map((s) => [s.stage, s]));
  const ms = new Map(m.stages.map((s) => [s.stage, s]));
  const per = (st: StageStat | undefined) => (st && st.n ? st.mean_ms : 0);
  // Means per challenge (validator side) and per served request (miner side): the same challenges, counted
  // from both ends; "network + axon" is what the round trip has beyond the miner's own total.
  const cycle: Array<{ stage: string; mean_ms: number; p95_ms: number | null; n: number }> = [
    { stage: "challenge (validator worker)", mean_ms: per(vs.get("challenge")), p95_ms: vs.get("challenge")?.p95_ms ?? null, n: vs.get("challenge")?.n ?? 0 },
    { stage: "miner queue (shared workers)", mean_ms: per(ms.get("queue")), p95_ms: ms.get("queue")?.p95_ms ?? null, n: ms.get("queue")?.n ?? 0 },
    { stage: "miner compute", mean_ms: per(ms.get("compute")), p95_ms: ms.get("compute")?.p95_ms ?? null, n: ms.get("compute")?.n ?? 0 },
    { stage: "miner sign + upload + url", mean_ms: per(ms.get("upload")), p95_ms: ms.get("upload")?.p95_ms ?? null, n: ms.get("upload")?.n ?? 0 },
    { stage: "network + axon", mean_ms: Math.max(0, per(vs.get("miner")) - per(ms.get("total"))), p95_ms: null, n: Math.min(vs.get("miner")?.n ?? 0, ms.get("total")?.n ?? 0) },
    { stage: "download", mean_ms: per(vs.get("download")), p95_ms: vs.get("download")?.p95_ms ?? null, n: vs.get("download")?.n ?? 0 },
    { stage: "verify", mean_ms: per(vs.get("verify")), p95_ms: vs.get("verify")?.p95_ms ?? null, n: vs.get("verify")?.n ?? 0 },
    { stage: "evaluate (batch wait included)", mean_ms: per(vs.get("evaluate")), p95_ms: vs.get("evaluate")?.p95_ms ?? null, n: vs.get("evaluate")?.n ?? 0 },
    { stage: "score", mean_ms: per(vs.get("score")), p95_ms: vs.get("score")?.p95_ms ?? null, n: vs.get("score")?.n ?? 0 },
  ];
  const sum = cycle.reduce((a, c) => a + c.mean_ms, 0);
  const slowest = sum > 0 ? cycle.reduce((a, b) => (b.mean_ms > a.mean_ms ? b : a)).stage : null;

  const firstPeriod = periods[0];
  const ready = marks["ready"] ?? null;
  // The first period ends on the wall clock's next multiple of the period: waiting for it is no code's cost.
  const periodWait = firstPeriod && ready !== null ? Math.max(0, firstPeriod.at - ready) : null;
  const row = {
    case: model,
    measured: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    period_s: plan.periodS,
    queries_per_miner: plan.queries,
    workers: WORKERS,
    threads: THREADS,
    module_load_s: first ? r1(importsMs / 1000) : 0,
    workers_ready_s: marks["miner_ready"] !== undefined ? r1(marks["miner_ready"]) : null,
    calibration_s: marks["calibration_done"] !== undefined && marks["calibration_start"] !== undefined ? r1(marks["calibration_done"] - marks["calibration_start"]) : null,
    ready_s: ready !== null ? r1(ready) : null,
    first_period_closed_s: firstPeriod ? r1(firstPeriod.at) : null,
    first_weights_step_s: firstStepS !== null ? r1(firstStepS) : null,
    first_weights_s: firstWeightsS !== null ? r1(firstWeightsS) : null,
    baseline: "wait from ready to the end of the wall-clock aligned first period (no code can save it)",
    period_wait_s: periodWait !== null ? r1(periodWait) : null,
    first_weights_minus_period_wait_s: firstWeightsS !== null && periodWait !== null ? r1(firstWeightsS - periodWait) : null,
    periods: periods.map((p) => ({ id: p.outcome.periodId, closed_at_s: r1(p.at), queries: p.outcome.queries, weights: p.weights, ...(p.outcome.timings ? { plan_ms: r1(p.outcome.timings.plan_ms), queries_ms: r1(p.outcome.timings.queries_ms), close_ms: r1(p.outcome.timings.close_ms) } : {}) })),
    challenges: validatorRows.length,
    outcomes,
    served_by_miners: minerTimings.length,
    cycle_stages: cycle.map((c) => ({ ...c, mean_ms: r1(c.mean_ms), p95_ms: c.p95_ms === null ? null : r1(c.p95_ms), share: sum > 0 ? r3(c.mean_ms / sum) : 0 })),
    cycle_mean_ms: r1(sum),
    slowest_stage: slowest,
    validator_stages: v.stages.map((s) => ({ ...s, mean_ms: r1(s.mean_ms), p50_ms: r1(s.p50_ms), p95_ms: r1(s.p95_ms), total_ms: r1(s.total_ms), share: r3(s.share) })),
  };
  return { row, stages: v.stages, slowest, firstWeightsS };
}

async function main(): Promise<void> {
  const results: Record<string, unknown>[] = [];
  const targets: Target[] = [];
  for (const [i, model] of models.entries()) {
    const r = await runModel(model, i === 0);
    results.push(r.row);
    if (model === "smollm2")
      targets.push(target("first_weights_s_smollm2_first_run_le_readme_claim", r.firstWeightsS, "<=", README_FIRST_WEIGHTS_S, r.firstWeightsS === null ? "no weights were set within --duration" : undefined));
  }
  // `--models` naming a subset: the other models' rows of the last run of this mode are kept (each with its
  // own `measured` time), so one slow model can be measured again alone.
  const out = path.resolve(path.dirname(fileURLToPath(import.meta.url)), `../../docs/benchmarks/localnet${quick ? ".quick" : ""}.json`);
  if (flag("models") && existsSync(out)) {
    const old = JSON.parse(readFileSync(out, "utf8")) as { when?: string; results?: Array<Record<string, unknown>>; targets?: Target[] };
    for (const r of old.results ?? []) if (!models.includes(String(r.case))) results.push({ measured: old.when, ...r });
    if (!models.includes("smollm2")) for (const t of old.targets ?? []) if (!targets.some((x) => x.name === t.name)) targets.push(t);
  }
  if (!targets.length) targets.push(target("first_weights_s_smollm2_first_run_le_readme_claim", null, "<=", README_FIRST_WEIGHTS_S, "smollm2 not run in this mode (--models)"));

  say("");
  for (const r of results as Array<Record<string, unknown> & { cycle_stages: Array<{ stage: string; mean_ms: number; p95_ms: number | null; share: number; n: number }> }>) {
    say(`${r.case}: module load ${r.module_load_s} s, workers+miners ${r.workers_ready_s} s, calibration ${r.calibration_s} s, ready ${r.ready_s} s, first weights step ${r.first_weights_step_s} s, first weights on chain ${r.first_weights_s} s (of which waiting for the period end ${r.period_wait_s} s)`);
    say(`  ${"stage".padEnd(32)} ${"mean ms".padStart(9)} ${"p95 ms".padStart(9)} ${"share".padStart(7)} ${"n".padStart(4)}`);
    for (const c of r.cycle_stages) say(`  ${c.stage.padEnd(32)} ${String(c.mean_ms).padStart(9)} ${String(c.p95_ms ?? "").padStart(9)} ${`${(c.share * 100).toFixed(1)}%`.padStart(7)} ${String(c.n).padStart(4)}`);
    say(`  slowest stage: ${String(r.slowest_stage)}; one challenge ${r.cycle_mean_ms} ms end to end (means)`);
  }
  for (const t of targets) say(`target ${t.name}: ${t.value} ${t.op} ${t.target} -> ${t.met ? "met" : "MISSED"}${t.why ? ` (${t.why})` : ""}`);
  report("localnet", quick, results, targets, { stages: QUERY_STAGES });
}

await main().catch((e: unknown) => {
  process.stderr.write(`bench localnet failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
