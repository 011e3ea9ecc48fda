// Judged Evaluate against a real tiny:llama worker: a corpus QA challenge's container and a procedural one's in
// one evaluateContainers call go as two worker requests (ANSWER_CHECK_JUDGE and PROCEDURAL), both return
// verdicts in item order, replayably; the judged verdicts equal the same item sent alone. (A random model's
// verdicts are noise; what is pinned is the path and its determinism.)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AnswerCheck } from "../../../ts/gen/condense/v1/worker_pb.js";
import { CORPUS_QA_KIND, challengeSeed, requestChallenge, type Challenge } from "../../../ts/validator/challenges/index.js";
import { answerCheckFor, challengeItem, evaluateContainers, type EvaluatedItem, type ItemResult } from "../../../ts/validator/evaluate/index.js";
import { WorkerPool } from "../../../ts/workers/index.js";
import { quietLogger } from "../../workers/helpers.js";

let pool: WorkerPool;
const tmp = mkdtempSync(path.join(os.tmpdir(), "judge-real-"));
const SECRET = new Uint8Array(32).fill(9);
const made: Array<{ id: string; ch: Challenge; path: string }> = [];
const sent: AnswerCheck[] = [];
// The real pool, with each Evaluate request's answer check recorded on the way.
const recording = {
  request: (req: Parameters<WorkerPool["request"]>[0]) => {
    if (req.body.case === "evaluate") sent.push(req.body.value.answerCheck ?? AnswerCheck.UNSPECIFIED);
    return pool.request(req);
  },
};

beforeAll(async () => {
  const corpus = path.join(tmp, "corpus");
  mkdirSync(corpus);
  for (const [i, t] of ["The lighthouse of Alexandria stood on the island of Pharos. ", "Honey bees dance to show where flowers are. ", "Etna is the tallest active volcano in Europe. "].entries())
    writeFileSync(path.join(corpus, `d${i}.txt`), t.repeat(30));
  pool = await WorkerPool.start({ workers: [{ model: "tiny:llama", device: "cpu", count: 1 }], threads: 1, readyTimeoutMs: 120_000, logger: quietLogger() });
  for (const [id, kinds] of [["qa", [CORPUS_QA_KIND]], ["needle", ["needle_single"]]] as const) {
    const ch = await requestChallenge(pool, { seed: challengeSeed(SECRET, id, "r1"), salt: `${id}:r1`, minChars: 1000, maxChars: 2000, kinds: [...kinds], numQuestions: 2, targetModel: "tiny:llama", corpusDir: corpus, timeoutMs: 120_000 });
    const out = path.join(tmp, `${id}.safetensors`);
    const r = await pool.request({ body: { case: "compress", value: { context: ch.formattedContext, algorithm: "streaming_llm", params: { ratio: 0.5 }, outputPath: out } }, timeoutMs: 120_000 });
    if (r.header.body.case !== "compress") throw new Error("no container");
    made.push({ id, ch, path: out });
  }
}, 300_000);

afterAll(async () => {
  await pool?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const ok = (r: ItemResult | undefined): EvaluatedItem => {
  if (!r?.ok) throw new Error(`failed: ${JSON.stringify(r)}`);
  return r;
};

describe("judged evaluation (tiny:llama worker)", () => {
  it("groups items by answer check, returns verdicts in item order, replayably", async () => {
    const [qa, needle] = made;
    expect(answerCheckFor(qa!.ch)).toBe("judge");
    expect(answerCheckFor(needle!.ch)).toBe("procedural");
    const items = [challengeItem(needle!.ch, "needle", { path: needle!.path }), challengeItem(qa!.ch, "qa", { path: qa!.path })];
    expect(items.map((i) => i.answerCheck)).toEqual(["procedural", "judge"]);
    sent.length = 0;
    const opts = { targetModel: "tiny:llama", maxNewTokens: 12, timeoutMs: 120_000 };
    const res = await evaluateContainers(recording, items, opts);
    expect(sent.sort()).toEqual([AnswerCheck.PROCEDURAL, AnswerCheck.JUDGE].sort());
    expect(res.map((r) => r.id)).toEqual(["needle", "qa"]);
    for (const r of res) {
      const e = ok(r);
      expect(e.answers).toHaveLength(2);
      expect(e.correct).toHaveLength(2);
      expect(e.existenceCorrect).toHaveLength(4);
    }
    const alone = await evaluateContainers(pool, [items[1]!], opts);
    expect(alone).toEqual([res[1]]);
    expect(await evaluateContainers(pool, items, opts)).toEqual(res);
  }, 240_000);

  it("refuses a challenge mixing judged and procedural questions and unknown checks", async () => {
    const [qa, needle] = made;
    const mixed = { ...qa!.ch, questions: [qa!.ch.questions[0]!, needle!.ch.questions[0]!] };
    expect(() => challengeItem(mixed, "m", { path: qa!.path })).toThrow(/mixes corpus_qa/);
    const item = { ...challengeItem(qa!.ch, "x", { path: qa!.path }), answerCheck: "fuzzy" as never };
    await expect(evaluateContainers(pool, [item])).rejects.toThrow(/unknown answer check/);
  });
});
