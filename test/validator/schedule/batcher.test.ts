import { describe, expect, it } from "vitest";
import { Batcher, BatcherFullError } from "../../../ts/validator/schedule/batcher.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("Batcher", () => {
  it("runs full batches at once and a partial batch after maxWaitMs, results in order", async () => {
    const batches: number[][] = [];
    const b = new Batcher<number, number>({ maxBatch: 3, maxWaitMs: 50, maxPending: 10, run: async (xs) => (batches.push(xs), xs.map((x) => x * 10)) });
    const all = Promise.all([1, 2, 3, 4].map((x) => b.add(x)));
    await sleep(10);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(await all).toEqual([10, 20, 30, 40]);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it("refuses at once beyond maxPending, and rejects every item of a failed batch", async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new Batcher<number, number>({ maxBatch: 2, maxWaitMs: 1000, maxPending: 2, run: async (xs) => { await gate; if (xs.includes(3)) throw new Error("boom"); return xs; } });
    const first = Promise.all([b.add(1), b.add(2)]);
    const next = [b.add(3), b.add(4)];
    await expect(b.add(5)).rejects.toBeInstanceOf(BatcherFullError);
    release();
    expect(await first).toEqual([1, 2]);
    for (const p of next) await expect(p).rejects.toThrow("boom");
  });

  it("close() runs what waits and refuses new items", async () => {
    const b = new Batcher<number, number>({ maxBatch: 4, maxWaitMs: 10_000, maxPending: 8, run: async (xs) => xs });
    const p = b.add(7);
    b.close();
    expect(await p).toBe(7);
    await expect(b.add(8)).rejects.toBeInstanceOf(BatcherFullError);
  });
});
