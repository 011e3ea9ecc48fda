// `condense localnet` on SmolLM2, as a newcomer runs it, until the validator has set weights: the weights on the
// DevChain must rank the miners as their algorithms' measured quality predicts. The prediction is read from the
// quality benchmark's results (docs/benchmarks/quality.json: share of the full cache's answers each press at
// each ratio kept), not written here. The cheat (a replayed container) must get nothing.
//
// Cheap enough for CI: the calibration table for the localnet's challenge size is the one a first run measured
// (fixtures/, copied into the state folder as a second run would find it), the challenge secret is fixed (the
// same challenges every run; decoding is greedy) and the run is stopped with SIGINT as soon as weights are set.

import { spawn } from "node:child_process";
import { copyFileSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const BIN = path.join(ROOT, "bin/condense.js");
const CALIBRATION = path.join(ROOT, "test/localnet/fixtures/calibration-smollm2-1000-1500.json");
const SEED = "c0de".repeat(16);
// Far apart in measured quality (1.0 and 0.0 of full's answers in the benchmark), so a short run separates them.
// (streaming_llm@0.75, 0.14 there, is no good here: on the localnet's short contexts its recent window often
// holds the needle, and one run ranked it first.)
const MINERS = ["kvzip_sentence:0.5", "knorm:0.75", "replay:streaming_llm:0.5"];
/** Weight-setting periods to wait for: the quality EMA of one period rests on a handful of answers. */
const PERIODS = 2;

interface Summary {
  localnet: { periods: number; miners: Array<{ uid: number; name: string; algorithm: string }>; weights: Array<[number, number]> };
}

/** Share of full per `algorithm@ratio`, from the benchmark's stored results. */
function measuredQuality(): Map<string, number> {
  const q = JSON.parse(readFileSync(path.join(ROOT, "docs/benchmarks/quality.json"), "utf8")) as { results: Array<{ case: string; share_of_full: number }> };
  return new Map(q.results.map((r) => [r.case, r.share_of_full]));
}

let dir = "";
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("condense localnet on SmolLM2", () => {
  it("sets weights that rank the miners as their measured quality predicts, and nothing for the cheat", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "localnet-rank-"));
    copyFileSync(CALIBRATION, path.join(dir, path.basename(CALIBRATION)));
    const args = ["localnet", "--state_dir", dir, "--model", "smollm2", "--period_s", "60", "--queries", "3", "--validator.challenge_kinds", "needle_single", "--workers", "2", "--duration", "600", "--seed", SEED, "--no-dashboard", "--miners", ...MINERS];
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let stopped = false;
    child.stdout.on("data", (b: Buffer) => {
      stdout += b.toString();
      if (!stopped && (stdout.match(/weights set on chain/g) ?? []).length >= PERIODS) {
        stopped = true;
        child.kill("SIGINT");
      }
    });
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
    const tail = `\n--- stdout\n${stdout.slice(-6000)}\n--- stderr\n${stderr.slice(-3000)}`;
    expect(code, tail).toBe(0);
    expect(stdout, tail).toContain("calibration: reusing");
    expect(stopped, `no weights were set before --duration${tail}`).toBe(true);
    const summary = (JSON.parse(stdout.trim().split("\n").at(-1)!) as Summary).localnet;

    const quality = measuredQuality();
    const weight = new Map(summary.weights);
    const rows = summary.miners.map((m) => {
      const cheat = m.name.startsWith("replay");
      const spec = MINERS[summary.miners.indexOf(m)]!;
      const [algorithm, ratio] = cheat ? spec.split(":").slice(1) : spec.split(":");
      const predicted = cheat ? 0 : quality.get(`${algorithm}@${Number(ratio)}`);
      expect(predicted, `no measured quality for ${algorithm}@${ratio} in docs/benchmarks/quality.json`).toBeDefined();
      return { name: m.name, predicted: predicted!, weight: weight.get(m.uid) ?? 0 };
    });
    console.log(rows.map((r) => `${r.name}: measured share of full ${r.predicted.toFixed(2)}, weight ${r.weight.toFixed(3)}`).join("\n"));
    // Every pair the benchmark tells apart is ordered the same way by the weights (equal predictions: no claim).
    for (const a of rows) for (const b of rows) if (a.predicted > b.predicted) expect([a.name, ">", b.name, a.weight > b.weight], tail).toEqual([a.name, ">", b.name, true]);
    expect(rows.find((r) => r.name.startsWith("replay"))!.weight).toBe(0);
  }, 700_000);
});
