// `condense eval` end to end on tiny:llama: a real miner (knorm at 0.5) on the DevChain, and one run of the CLI
// with a 2 algorithms x 1 ratio x 1 kind x 1 length grid plus `--against` that miner. The JSON must hold the
// validator's scores for the challenges its seeds name (the validator's runQuery scores the miner on the same
// challenges the local knorm row answers; the recorded verdicts give the recorded scores through scoreChallenge;
// the recorded seeds replay the recorded contexts), and the PNG must be a real image. Each container is evaluated
// alone (--eval_batch 1), as the validator's runQuery evaluates the miner's here, so the two paths see the same
// decode shapes.
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cryptoReady } from "../../ts/bittensor/signing.js";
import { DevChain } from "../../ts/chain/devchain.js";
import { contextSha256 } from "../../ts/container/hash.js";
import type { ChallengeRecord, EvalReport } from "../../ts/eval/index.js";
import { parseAgainst, resolveTarget } from "../../ts/eval/index.js";
import { WorkerPoolCompressor } from "../../ts/miner/compressor.js";
import { minerConfigFromArgs } from "../../ts/miner/config.js";
import { startMiner, type RunningMiner } from "../../ts/miner/miner.js";
import { requestChallenge } from "../../ts/validator/challenges/index.js";
import { challengeBounds } from "../../ts/validator/schedule/query.js";
import { scoreChallenge, DEFAULT_CHALLENGE_SCORE_CONFIG } from "../../ts/validator/score/index.js";
import { Keypair } from "../../ts/wallet/keypair.js";
import { Wallet } from "../../ts/wallet/wallet.js";
import { WorkerPool } from "../../ts/workers/index.js";

const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");
const TIERS = path.join(ROOT, "ts/localnet/tiers.json");
const NETUID = 3;
const RAO = 1_000_000_000n;
const LENGTH = 1500;

let dir: string;
let chain: DevChain;
let pool: WorkerPool;
let miner: RunningMiner;
let minerKey: Keypair;
let report: EvalReport;
let png: string;
let stdout: string;

beforeAll(async () => {
  await cryptoReady();
  dir = await mkdtemp(path.join(os.tmpdir(), "condense-eval-test-"));
  chain = new DevChain({ allowLoopback: true });
  chain.createSubnet(NETUID, { weightsRateLimit: 0 });
  const cold = Keypair.fromUri("//EvalCold").address;
  // The eval's caller identity: a btcli wallet the CLI reads, registered with stake so the miner serves it.
  const wallets = path.join(dir, "wallets");
  const caller = (await new Wallet({ name: "evaluator", hotkey: "default", path: wallets }).create({ coldkey: false })).hotkey!;
  chain.registerHotkey(NETUID, caller.address, cold);
  minerKey = Keypair.fromUri("//EvalMiner");
  chain.registerHotkey(NETUID, minerKey.address, cold);
  chain.addStake(NETUID, caller.address, 1000n * RAO);
  chain.runEpoch(NETUID);

  pool = await WorkerPool.start({ workers: [{ model: "tiny:llama", device: "cpu", count: 1 }], threads: 1, handleSignals: false, logger: pino({ level: "warn" }) });
  miner = await startMiner(
    minerConfigFromArgs([
      "--netuid", String(NETUID), "--subtensor.network", "dev", "--axon.port", "0", "--axon.ip", "127.0.0.1", "--model", "tiny:llama",
      "--miner.allow_stand_in", "--miner.min_stake", "1", "--miner.tiers_file", TIERS, "--miner.algorithm", "knorm", "--miner.ratio", "0.5",
      "--miner.work_dir", path.join(dir, "work"), "--storage.sweep_interval_s", "0", "--storage.http.host", "127.0.0.1", "--storage.http.port", "0",
      "--storage.http.dir", path.join(dir, "store"), "--logging.level", "warn",
    ]),
    { chain, hotkey: minerKey, compressor: new WorkerPoolCompressor(pool) },
  );

  const out = path.join(dir, "eval.json");
  png = path.join(dir, "eval.png");
  const r = await promisify(execFile)(
    process.execPath,
    [
      path.join(ROOT, "bin/condense.js"), "eval", "--model", "tiny:llama", "--threads", "1", "--algorithms", "knorm", "streaming_llm", "--ratios", "0.5",
      "--kinds", "needle_single", "--lengths", String(LENGTH), "--samples", "1", "--questions", "2", "--tiers_file", TIERS, "--seed", "eval-test",
      "--against", `127.0.0.1:${miner.axon.port}`, "--hotkey", minerKey.address, "--wallet.path", wallets, "--wallet.name", "evaluator",
      "--readback_tokens", "256", "--eval_batch", "1", "--out", out, "--png", png,
    ],
    { cwd: ROOT, timeout: 240_000, maxBuffer: 16 << 20 },
  );
  stdout = r.stdout;
  report = JSON.parse(await readFile(out, "utf8")) as EvalReport;
}, 300_000);

afterAll(async () => {
  await miner?.stop();
  await pool?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const of = (config: string): ChallengeRecord[] => report.challenges.filter((c) => c.config === config);

describe("condense eval on tiny:llama", () => {
  it("has the full cache, both algorithms and the miner as rows, and prints them", () => {
    expect(report.rows.map((r) => r.config)).toEqual(["full", "knorm@0.5", "streaming_llm@0.5", `miner:127.0.0.1:${miner.axon.port}`]);
    for (const name of ["full", "knorm@0.5", "streaming_llm@0.5", "miner:"]) expect(stdout).toContain(name);
    for (const r of report.rows) expect([r.config, r.challenges]).toEqual([r.config, 1]);
  });

  it("scores the miner through the validator exactly as it scores the same algorithm run locally", () => {
    const [local] = of("knorm@0.5");
    const [remote] = of(`miner:127.0.0.1:${miner.axon.port}`);
    expect(remote!.outcome).toBe("ok");
    expect(local!.outcome).toBe("ok");
    // Same challenge (ids and seeds are the validator's, made for the miner's hotkey), same container, same verdicts.
    expect(remote!.challengeId).toBe(local!.challengeId);
    expect(remote!.seed).toBe(local!.seed);
    expect(remote!.contextSha256).toBe(local!.contextSha256);
    expect(remote!.keptTokens).toBe(local!.keptTokens);
    expect(remote!.originalTokens).toBe(local!.originalTokens);
    expect(remote!.answers).toEqual(local!.answers);
    expect(remote!.correct).toEqual(local!.correct);
    expect(remote!.accuracy).toBe(local!.accuracy);
    expect(remote!.score).toBe(local!.score);
    expect(remote!.readback?.reply).toBe(local!.readback?.reply);
  });

  it("records per-challenge scores that the validator's score functions give for the recorded verdicts", () => {
    const cfg = { ...DEFAULT_CHALLENGE_SCORE_CONFIG, useExistence: report.score.useExistence };
    const locals = report.challenges.filter((c) => !c.config.startsWith("miner:"));
    expect(locals.length).toBe(3);
    for (const c of locals) {
      expect(c.outcome).toBe("ok");
      expect(c.correct.length).toBe(2);
      expect(c.existenceCorrect.length).toBe(c.chunksInContext.length);
      const s = scoreChallenge(
        {
          challengeId: c.challengeId,
          kind: c.kind,
          accelerate: report.score.accelerate,
          fullAccuracy: report.fullAccuracy[`${c.kind}@${c.length}`] ?? null,
          positives: c.chunksInContext.flatMap((inside, i) => (inside ? [c.existenceCorrect[i] === true] : [])),
          negatives: c.chunksInContext.flatMap((inside, i) => (inside ? [] : [c.existenceCorrect[i] === true])),
          answers: c.correct,
          keptTokens: c.keptTokens!,
          originalTokens: c.originalTokens!,
          maxCondensedTokens: report.score.maxCondensedTokens,
        },
        cfg,
      );
      expect([c.config, c.accuracy, c.compressionBonus, c.score]).toEqual([c.config, s.accuracy, s.compressionBonus, s.score]);
    }
    // knorm at 0.5 keeps half the tokens: a compression bonus the full cache does not get.
    expect(of("knorm@0.5")[0]!.compressionBonus).toBeGreaterThan(0);
    expect(of("full")[0]!.compressionBonus).toBe(0);
  });

  it("names seeds that replay the challenges it scored", async () => {
    const c = of("full")[0]!;
    const ch = await requestChallenge(pool, { seed: BigInt(c.seed), ...challengeBounds({ max_context_length_in_chars: LENGTH }), kinds: ["needle_single"], numQuestions: 2, numPositiveChunks: 2, numNegativeChunks: 2, targetModel: "", salt: c.salt });
    expect(contextSha256(ch.formattedContext)).toBe(c.contextSha256);
    expect(c.salt.startsWith(`${minerKey.address}:`)).toBe(true);
  });

  it("measures the read-back of every container against the context", () => {
    expect(report.readbackPrompt).toContain("Repeat the context above verbatim.");
    for (const c of report.challenges) {
      expect(c.readback, c.config).not.toBeNull();
      expect(c.readback!.contextTokens).toBeGreaterThan(500);
      expect(c.readback!.maxNewTokens).toBe(256);
      expect(c.readback!.tokenRecall).toBeGreaterThanOrEqual(0);
      expect(c.readback!.tokenRecall).toBeLessThanOrEqual(1);
    }
    const full = report.rows.find((r) => r.config === "full")!;
    expect(full.readback?.capped).toBe(1);
  });

  it("writes a PNG plot", async () => {
    const buf = await readFile(png);
    expect(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(buf.subarray(12, 16).toString("ascii")).toBe("IHDR");
    expect(buf.readUInt32BE(16)).toBeGreaterThan(400);
    expect(buf.readUInt32BE(20)).toBeGreaterThan(200);
    expect((await stat(png)).size).toBeGreaterThan(20_000);
    expect(report.plot).toBe(png);
  });

  it("finds a miner by uid on the chain's metagraph", async () => {
    const t = await resolveTarget(parseAgainst(`uid:${miner.uid}`), { chain: async () => chain, netuid: NETUID });
    expect(t).toEqual({ ip: "127.0.0.1", port: miner.axon.port, hotkey: minerKey.address, uid: miner.uid });
    await expect(resolveTarget(parseAgainst("uid:99"), { chain: async () => chain, netuid: NETUID })).rejects.toThrow(/does not exist/);
    await expect(resolveTarget(parseAgainst("127.0.0.1:1"), { netuid: NETUID })).rejects.toThrow(/--hotkey/);
  });
});
