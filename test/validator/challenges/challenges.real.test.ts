// requestChallenge against a real tiny:llama worker: seeded and byte-identical, unique per miner and
// request, inside the tier bounds, refused when asked for another model.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { challengeSeed, minerView, requestChallenge, type ChallengeParams } from "../../../ts/validator/challenges/index.js";
import { WorkerError, WorkerPool } from "../../../ts/workers/index.js";
import { quietLogger } from "../../workers/helpers.js";

let pool: WorkerPool;
const SECRET = new Uint8Array(32).fill(7);

beforeAll(async () => {
  pool = await WorkerPool.start({
    workers: [{ model: "tiny:llama", device: "cpu", count: 1 }],
    threads: 1,
    readyTimeoutMs: 120_000,
    logger: quietLogger(),
  });
}, 180_000);

afterAll(async () => {
  await pool?.close();
});

const params = (hotkey: string, requestId: string, extra: Partial<ChallengeParams> = {}): ChallengeParams => ({
  seed: challengeSeed(SECRET, hotkey, requestId),
  minChars: 3000,
  maxChars: 9000,
  kinds: ["needle_single", "kv_retrieval", "counting"],
  numQuestions: 3,
  targetModel: "tiny:llama",
  salt: `${hotkey}:${requestId}`,
  timeoutMs: 60_000,
  ...extra,
});

describe("requestChallenge (tiny:llama worker)", () => {
  it("gives the same challenge for the same inputs and another one per miner and per request", async () => {
    const a = await requestChallenge(pool, params("5Alice", "r1"));
    const again = await requestChallenge(pool, params("5Alice", "r1"));
    expect(again).toEqual(a);
    const otherMiner = await requestChallenge(pool, params("5Bob", "r1"));
    const otherRequest = await requestChallenge(pool, params("5Alice", "r2"));
    for (const other of [otherMiner, otherRequest]) {
      expect(other.formattedContext).not.toBe(a.formattedContext);
      expect(other.questions.map((q) => q.question)).not.toEqual(a.questions.map((q) => q.question));
    }
    // The salt alone (same seed) changes the content too.
    const sameSeed = await requestChallenge(pool, { ...params("5Alice", "r1"), salt: "5Mallory:r1" });
    expect(sameSeed.context).not.toBe(a.context);
  }, 60_000);

  it("fills the tier bounds, formats with the template and labels the chunks", async () => {
    const ch = await requestChallenge(pool, params("5Carol", "r9"));
    const chars = [...ch.formattedContext].length;
    expect(chars).toBeGreaterThanOrEqual(3000);
    expect(chars).toBeLessThanOrEqual(9000);
    expect(ch.formattedContext.endsWith(ch.context)).toBe(true);
    expect(ch.questions).toHaveLength(3);
    for (const q of ch.questions) {
      expect(["needle_single", "kv_retrieval", "counting"]).toContain(q.kind);
      expect(q.formattedQuestion).toContain(q.question);
      expect(q.answers.length).toBeGreaterThan(0);
    }
    expect(ch.chunks.filter((c) => c.inContext)).toHaveLength(2);
    expect(ch.chunks.filter((c) => !c.inContext)).toHaveLength(2);
    for (const c of ch.chunks) expect(ch.context.includes(c.text)).toBe(c.inContext);
    // What a miner may see carries no ground truth.
    const view = JSON.stringify(minerView(ch));
    for (const q of ch.questions) for (const a of q.answers) expect(ch.context).toContain(a);
    expect(view).not.toContain(ch.questions[0]!.question);
    expect(Object.keys(minerView(ch)).sort()).toEqual(["context", "targetModel"]);
  }, 60_000);

  it("is refused with typed errors: another model, impossible bounds, unknown kinds", async () => {
    await expect(requestChallenge(pool, params("5A", "r", { targetModel: "smollm2" }))).rejects.toMatchObject({ codeName: "unsupported_model" });
    await expect(requestChallenge(pool, params("5A", "r", { minChars: 100, maxChars: 120 }))).rejects.toMatchObject({ codeName: "invalid_argument" });
    await expect(requestChallenge(pool, params("5A", "r", { kinds: ["nope"] }))).rejects.toBeInstanceOf(WorkerError);
    await expect(requestChallenge(pool, params("5A", "r", { minChars: 10, maxChars: 5 }))).rejects.toBeInstanceOf(RangeError);
    await expect(requestChallenge(pool, { ...params("5A", "r"), seed: -1n })).rejects.toBeInstanceOf(RangeError);
  }, 60_000);

  it("derives seeds from the secret, the hotkey and the request id", () => {
    const s = challengeSeed(SECRET, "5Alice", "r1");
    expect(challengeSeed(SECRET, "5Alice", "r1")).toBe(s);
    expect(challengeSeed(SECRET, "5Alice", "r2")).not.toBe(s);
    expect(challengeSeed(SECRET, "5Alic", "er1")).not.toBe(s); // no aliasing across the boundary
    expect(challengeSeed(new Uint8Array(32).fill(8), "5Alice", "r1")).not.toBe(s);
    expect(s).toBeLessThan(1n << 64n);
    expect(() => challengeSeed(new Uint8Array(4), "5Alice", "r1")).toThrow(RangeError);
  });
});
