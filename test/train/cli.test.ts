// `condense train` as a process: configuration errors exit 2 before any worker starts; a short real run
// through the worker pool writes the JSONL log and a checkpoint, and --resume continues from its step.
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TrainRecord } from "../../ts/train/metrics.js";

const root = path.resolve(import.meta.dirname, "../..");
const tsx = path.join(root, "node_modules/.bin/tsx");
const script = path.join(root, "test/train/fixtures/train-cli.ts");
let dir: string;

const run = (args: string[], timeout = 60_000) =>
  execa(tsx, [script, "train", ...args], { cwd: root, reject: false, timeout, env: { CONDENSE_CONFIG: "" }, extendEnv: true });

const tiny = ["--condenser_model", "tiny:llama", "--decoder_model", "tiny:llama", "--num_tokens", "4", "--last_k", "1",
  "--lora_rank", "2", "--context_tokens", "24", "--batch_size", "1", "--val_every", "2", "--lr_projection", "0.01"];

const readLog = (file: string): TrainRecord[] =>
  readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l) as TrainRecord);

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "train-cli-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("condense train (process)", () => {
  it("a missing data path fails with exit 2 naming the path, before any worker starts", async () => {
    const missing = path.join(dir, "no-such-corpus");
    const r = await run(["--data", missing, "--output", path.join(dir, "o1")]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("data: data path does not exist");
    expect(r.stderr).toContain(missing);
    expect(existsSync(path.join(dir, "o1"))).toBe(false); // nothing ran, not even the log was opened
  });

  it("no data at all is refused with a hint", async () => {
    const r = await run(["--output", path.join(dir, "o2")]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--procedural_only");
  });

  it("bad values are named with their value and source", async () => {
    const r = await run(["--procedural_only", "--output", path.join(dir, "o3"), "--max_steps", "0", "--lr", "3", "--device", "tpu"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("max_steps");
    expect(r.stderr).toContain("flag --max_steps");
    expect(r.stderr).toMatch(/lr: .*\(got 3 from flag --lr\)/);
    expect(r.stderr).toContain("device: must be cpu, cuda or cuda:N");
  });

  it("a config file is validated the same way, unknown keys included", async () => {
    const file = path.join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ procedural_only: true, output: path.join(dir, "o4"), objective: "dream", epochs: 3 }));
    const r = await run(["--config", file]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("objective");
    expect(r.stderr).toContain(`config file ${file}`);
    expect(r.stderr).toContain("epochs");
  });

  it("a short real run writes the JSONL log and a checkpoint; --resume continues from the saved step", async () => {
    const corpus = path.join(dir, "corpus.txt");
    await writeFile(corpus, "the quick brown fox jumps over the lazy dog. ".repeat(40));
    const out = path.join(dir, "run");
    const r = await run(["--data", corpus, "--output", out, "--max_steps", "4", ...tiny], 180_000);
    expect(r.stderr).not.toContain("error:");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`checkpoint: ${path.join(out, "best")}`);
    expect(existsSync(path.join(out, "best", "condenser_config.json"))).toBe(true);
    expect(existsSync(path.join(out, "best", "condenser.safetensors"))).toBe(true);
    expect(existsSync(path.join(out, "last.ckpt"))).toBe(true);
    const log = readLog(path.join(out, "train.jsonl"));
    expect(log.filter((x) => !x.final).map((x) => x.step)).toContain(1);
    const final = log.at(-1)!;
    expect(final.final).toBe(true);
    expect(final.step).toBe(4);
    expect(final.max_steps).toBe(4);
    expect(final.loss).toBeGreaterThan(0);
    expect(final.tokens_per_s).toBeGreaterThan(0);
    expect(log.filter((x) => x.step === 1)[0]!.val_loss).toBeNull(); // not validated yet at step 1

    const again = await run(["--data", corpus, "--output", out, "--resume", out, "--max_steps", "6", ...tiny], 180_000);
    expect(again.exitCode).toBe(0);
    const resumed = readLog(path.join(out, "train.jsonl")).slice(log.length);
    expect(resumed[0]!.step).toBe(5);
    expect(resumed.at(-1)!.final).toBe(true);
    expect(resumed.at(-1)!.step).toBe(6);
  }, 400_000);

  it("SIGINT stops training with exit 130 and keeps a resumable last.ckpt", async () => {
    const out = path.join(dir, "interrupted");
    const child = execa(tsx, [script, "train", "--procedural_only", "--output", out, "--max_steps", "100000", ...tiny],
      { cwd: root, reject: false, timeout: 180_000, env: { CONDENSE_CONFIG: "" }, extendEnv: true });
    const log = path.join(out, "train.jsonl");
    // Wait until training really runs (the first record is in the log), then interrupt.
    while (!(existsSync(log) && readFileSync(log, "utf8").includes('"step"'))) {
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    child.kill("SIGINT");
    const r = await child;
    expect(r.exitCode).toBe(130);
    expect(r.stderr).toContain("training interrupted");
    // The worker finishes its step, saves the state and answers CANCELLED; give it a moment past the pool's close.
    for (let i = 0; i < 50 && !existsSync(path.join(out, "last.ckpt")); i++) await new Promise((res) => setTimeout(res, 200));
    expect(existsSync(path.join(out, "last.ckpt"))).toBe(true);
  }, 200_000);
});
