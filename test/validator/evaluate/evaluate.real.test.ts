// evaluateContainers against a real tiny:llama worker: containers of three "miners", each answering its own
// challenge with its own kept length, in batched requests, equal to one container at a time; a hostile
// container fails alone; bad input is refused before anything is sent.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { challengeSeed, requestChallenge, type Challenge } from "../../../ts/validator/challenges/index.js";
import { challengeItem, evaluateContainers, type EvaluatedItem, type ItemResult } from "../../../ts/validator/evaluate/index.js";
import { WorkerPool } from "../../../ts/workers/index.js";
import { quietLogger } from "../../workers/helpers.js";

let pool: WorkerPool;
const tmp = mkdtempSync(path.join(os.tmpdir(), "eval-real-"));
const SECRET = new Uint8Array(32).fill(3);
const MINERS: Array<[string, string, number]> = [["5Alice", "kvzip_shared", 0.5], ["5Bob", "streaming_llm", 0.7], ["5Carol", "full", 0]];
const made: Array<{ hotkey: string; ch: Challenge; path: string; kept: number; original: number }> = [];

beforeAll(async () => {
  pool = await WorkerPool.start({
    workers: [{ model: "tiny:llama", device: "cpu", count: 1 }],
    threads: 1,
    readyTimeoutMs: 120_000,
    logger: quietLogger(),
  });
  for (const [hotkey, algorithm, ratio] of MINERS) {
    const ch = await requestChallenge(pool, {
      seed: challengeSeed(SECRET, hotkey, "r1"), salt: `${hotkey}:r1`, minChars: 400, maxChars: 800,
      kinds: ["needle_single", "counting"], numQuestions: 2, targetModel: "tiny:llama", timeoutMs: 60_000,
    });
    const out = path.join(tmp, `${hotkey}.safetensors`);
    const r = await pool.request({
      body: { case: "compress", value: { context: ch.formattedContext, algorithm, params: { ratio }, outputPath: out } },
      timeoutMs: 60_000,
    });
    if (r.header.body.case !== "compress") throw new Error("no container");
    const info = r.header.body.value.info!;
    made.push({ hotkey, ch, path: out, kept: info.keptTokens, original: info.originalTokens });
  }
}, 240_000);

afterAll(async () => {
  await pool?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const ok = (r: ItemResult): EvaluatedItem => {
  if (!r.ok) throw new Error(`${r.id} failed: ${r.codeName} ${r.message}`);
  return r;
};

describe("evaluateContainers (tiny:llama worker)", () => {
  it("batches containers with different kept and original lengths and equals one at a time", async () => {
    expect(new Set(made.map((m) => m.kept)).size).toBe(made.length);
    expect(new Set(made.map((m) => m.original)).size).toBeGreaterThan(1);
    const items = made.map((m) => challengeItem(m.ch, m.hotkey, { path: m.path }));
    const opts = { targetModel: "tiny:llama", maxNewTokens: 8, timeoutMs: 120_000 };
    const batched = await evaluateContainers(pool, items, opts);
    const split = await evaluateContainers(pool, items, { ...opts, maxItemsPerRequest: 2, maxBatchRows: 3 });
    const single = [];
    for (const it of items) single.push(...(await evaluateContainers(pool, [it], opts)));
    expect(batched.map((r) => r.id)).toEqual(made.map((m) => m.hotkey));
    expect(split).toEqual(batched);
    expect(single).toEqual(batched);
    for (const [i, r] of batched.entries()) {
      const e = ok(r);
      expect(e.answers).toHaveLength(2);
      expect(e.correct).toHaveLength(2);
      expect(e.existenceCorrect).toHaveLength(4);
      expect([e.keptTokens, e.nextPosition]).toEqual([made[i]!.kept, made[i]!.original]);
    }
  }, 240_000);

  it("a container sent as bytes equals the same container by path; garbage fails alone", async () => {
    const m = made[1]!;
    const bytes = new Uint8Array(readFileSync(m.path));
    const garbage = new Uint8Array(4096).fill(0x41);
    const res = await evaluateContainers(pool, [
      challengeItem(m.ch, "by-path", { path: m.path }),
      challengeItem(m.ch, "by-bytes", { bytes }),
      challengeItem(m.ch, "garbage", { bytes: garbage }),
      challengeItem(m.ch, "missing", { path: path.join(tmp, "nope.safetensors") }),
    ], { targetModel: "tiny:llama", maxNewTokens: 8, timeoutMs: 120_000 });
    const [byPath, byBytes, bad, missing] = res;
    expect({ ...ok(byBytes!), id: "by-path" }).toEqual(ok(byPath!));
    expect(bad).toMatchObject({ id: "garbage", ok: false, codeName: "invalid_container" });
    expect(missing).toMatchObject({ id: "missing", ok: false, codeName: "not_found" });
  }, 120_000);

  it("a container made for another model is refused for that item", async () => {
    const m = made[0]!;
    const [r] = await evaluateContainers(pool, [challengeItem(m.ch, "x", { path: m.path })], { targetModel: "other/model", maxNewTokens: 4, timeoutMs: 60_000 });
    expect(r).toMatchObject({ ok: false, codeName: "invalid_container" });
  }, 60_000);

  it("refuses inconsistent input before sending anything", async () => {
    const m = made[0]!;
    const item = challengeItem(m.ch, "a", { path: m.path });
    await expect(evaluateContainers(pool, [item, item])).rejects.toThrow(/duplicate item id/);
    await expect(evaluateContainers(pool, [{ ...item, expected: [["1"]] }])).rejects.toThrow(/expected answers/);
    await expect(evaluateContainers(pool, [{ ...item, container: new Uint8Array(1) }])).rejects.toThrow(/exactly one/);
    await expect(evaluateContainers(pool, [item], { maxItemsPerRequest: 0 })).rejects.toThrow(RangeError);
  });
});
