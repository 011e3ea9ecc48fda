// Corpus QA (kind corpus_qa) against a real tiny:llama worker: a folder of .txt files -> a replayable
// challenge inside the tier bounds whose questions and answers the worker's model wrote (noise, from a random
// model: the plumbing is tested); hostile folders (a symlink to /etc/passwd, a 1 GB sparse file, an empty
// folder) refused with clear errors; the flags and the one-time offer; calibration measures the kind.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, unlinkSync, writeFileSync, openSync, closeSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { ConfigError } from "../../../ts/config/resolve.js";
import { calibrate } from "../../../ts/validator/challenges/calibration.js";
import { CORPUS_QA_KIND, challengeSeed, offerCorpusQa, requestChallenge, type ChallengeParams } from "../../../ts/validator/challenges/index.js";
import { validatorConfigFromArgs } from "../../../ts/validator/config.js";
import { WorkerPool } from "../../../ts/workers/index.js";
import { quietLogger } from "../../workers/helpers.js";

let pool: WorkerPool;
const tmp = mkdtempSync(path.join(os.tmpdir(), "corpus-qa-"));
const corpus = path.join(tmp, "corpus");
const SECRET = new Uint8Array(32).fill(5);
const FACTS = [
  "Mount Etna is an active volcano on the east coast of Sicily and it is about 3357 metres tall.",
  "Honey bees live in colonies of up to sixty thousand workers with a single queen.",
  "The Pharos of Alexandria was a lighthouse built around 280 BC on the island of Pharos.",
];

beforeAll(async () => {
  mkdirSync(corpus);
  FACTS.forEach((f, i) => writeFileSync(path.join(corpus, `doc${i}.txt`), `${f} `.repeat(14)));
  pool = await WorkerPool.start({ workers: [{ model: "tiny:llama", device: "cpu", count: 1 }], threads: 1, readyTimeoutMs: 120_000, logger: quietLogger() });
}, 180_000);

afterAll(async () => {
  await pool?.close();
  rmSync(tmp, { recursive: true, force: true });
});

const params = (requestId: string, extra: Partial<ChallengeParams> = {}): ChallengeParams => ({
  seed: challengeSeed(SECRET, "5Alice", requestId),
  minChars: 1200,
  maxChars: 3000,
  kinds: [CORPUS_QA_KIND],
  numQuestions: 2,
  targetModel: "tiny:llama",
  salt: `5Alice:${requestId}`,
  corpusDir: corpus,
  timeoutMs: 120_000,
  ...extra,
});

describe("corpus QA challenges (tiny:llama worker)", () => {
  it("draws a replayable corpus window with generated questions, inside the bounds", async () => {
    const a = await requestChallenge(pool, params("r1"));
    expect(await requestChallenge(pool, params("r1"))).toEqual(a);
    expect((await requestChallenge(pool, params("r2"))).context).not.toBe(a.context);
    expect(a.questions.map((q) => q.kind)).toEqual([CORPUS_QA_KIND, CORPUS_QA_KIND]);
    for (const q of a.questions) {
      expect(q.question.length).toBeGreaterThan(0);
      expect(q.answers).toHaveLength(1);
      expect(q.formattedQuestion).toContain(q.question);
    }
    expect(a.contextChars).toBe(a.drawnChars);
    expect(a.contextChars).toBeGreaterThanOrEqual(1200);
    expect(a.contextChars).toBeLessThanOrEqual(3000);
    // The window is the corpus' text (whitespace collapsed), framed by the template.
    const words = a.context.split(" ").slice(1, -1);
    expect(words.every((w) => FACTS.some((f) => f.split(" ").includes(w)))).toBe(true);
    expect(a.generator).toBe("condense-corpus-qa-v1:tiny:llama");
    for (const c of a.chunks) expect(a.context.includes(c.text)).toBe(c.inContext);
  }, 240_000);

  it("refuses hostile corpus folders with clear errors and reads nothing outside", async () => {
    const link = path.join(corpus, "passwd.txt");
    symlinkSync("/etc/passwd", link);
    try {
      const e = await requestChallenge(pool, params("r3")).catch((x: unknown) => x);
      expect(e).toMatchObject({ codeName: "invalid_argument", message: expect.stringMatching(/passwd\.txt.*links outside corpus_dir/) });
      expect(String((e as Error).message)).not.toMatch(/root:/);
    } finally {
      unlinkSync(link);
    }
    const huge = path.join(corpus, "huge.txt");
    closeSync(openSync(huge, "w"));
    truncateSync(huge, 1 << 30); // 1 GB, sparse
    try {
      await expect(requestChallenge(pool, params("r4"))).rejects.toMatchObject({ codeName: "invalid_argument", message: expect.stringMatching(/huge\.txt.*1073741824 bytes, over the/) });
    } finally {
      unlinkSync(huge);
    }
    const empty = path.join(tmp, "empty");
    mkdirSync(empty);
    await expect(requestChallenge(pool, params("r5", { corpusDir: empty }))).rejects.toMatchObject({ codeName: "invalid_argument", message: expect.stringMatching(/no \.txt or \.md files/) });
    await expect(requestChallenge(pool, params("r6", { corpusDir: "" }))).rejects.toMatchObject({ codeName: "invalid_argument", message: expect.stringMatching(/needs corpus_dir/) });
    // Still serving after the refusals.
    expect((await requestChallenge(pool, params("r1"))).questions).toHaveLength(2);
  }, 240_000);

  it("is offered only with a corpus that holds text, logged once; flags resolve", () => {
    const log = { info: vi.fn(), warn: vi.fn() };
    const base = ["needle_single", "counting"];
    expect(offerCorpusQa(base, false, {}, log)).toEqual({ kinds: base, corpus: null });
    expect(log.info).toHaveBeenCalledTimes(1);
    const empty = mkdtempSync(path.join(tmp, "none-"));
    expect(offerCorpusQa(base, false, { corpus_dir: empty }, log).kinds).toEqual(base);
    expect(log.warn).toHaveBeenCalledTimes(1);
    expect(offerCorpusQa(base, false, { corpus_dir: corpus }, log)).toEqual({ kinds: [...base, CORPUS_QA_KIND], corpus: { corpusDir: corpus, generator: "" } });
    expect(offerCorpusQa(base, true, { corpus_dir: corpus }, log).kinds).toEqual(base); // listed kinds without corpus_qa
    expect(offerCorpusQa([...base, CORPUS_QA_KIND], true, { corpus_dir: corpus, generator_model: "smollm2" }, log).corpus).toEqual({ corpusDir: corpus, generator: "smollm2" });
    expect(() => offerCorpusQa(base, false, { corpus_dir: path.join(tmp, "missing") }, log)).toThrow(ConfigError);
    expect(() => offerCorpusQa(base, false, { corpus_dir: path.join(corpus, "doc0.txt") }, log)).toThrow(/validator\.corpus_dir: not a folder/);
    const cfg = validatorConfigFromArgs(["--validator.corpus_dir", "some/rel", "--validator.generator_model", "smollm2"]);
    expect(cfg.validator.corpus_dir).toBe(path.resolve("some/rel"));
    expect(cfg.validator.generator_model).toBe("smollm2");
    expect(validatorConfigFromArgs([]).validator.corpus_dir).toBeUndefined();
  });

  it("calibration measures corpus_qa like any other kind (judged answers, judge sanity)", async () => {
    const dir = mkdtempSync(path.join(tmp, "cal-"));
    const t = await calibrate(pool, {
      kinds: [CORPUS_QA_KIND, "needle_single"], targetModel: "tiny:llama", templateModel: "tiny:llama", minChars: 1200, maxChars: 3000,
      samples: 1, questions: 2, minAccuracy: 0, secret: Buffer.from(SECRET), dir, minerHotkey: "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM", corpus: { corpusDir: corpus, generator: "" }, log: quietLogger(),
    });
    const qa = t.kinds.find((k) => k.kind === CORPUS_QA_KIND)!;
    expect(qa).toMatchObject({ questions: 2, used: true });
    expect(qa.error).toBeUndefined();
    expect(qa.judgeFalseYes).toBeGreaterThanOrEqual(0);
    expect(t.kinds.find((k) => k.kind === "needle_single")!.judgeFalseYes).toBeUndefined();
    // Without a corpus the kind cannot be drawn: it is reported unusable, the rest go on.
    const none = await calibrate(pool, { kinds: [CORPUS_QA_KIND], targetModel: "tiny:llama", templateModel: "tiny:llama", minChars: 1200, maxChars: 3000, samples: 1, questions: 1, minAccuracy: 0, secret: Buffer.from(SECRET), dir, minerHotkey: "5C4hrfjw9DjXZTzV3MwzrrAr9P1MJhSrvWGWqi1eSuyUpnhM", log: quietLogger() });
    expect(none.kinds[0]).toMatchObject({ kind: CORPUS_QA_KIND, used: false, error: expect.stringMatching(/needs corpus_dir/) });
  }, 240_000);
});
