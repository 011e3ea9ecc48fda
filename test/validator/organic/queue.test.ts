// The organic scoring bound: at most maxInFlight jobs run and maxQueued wait; more are refused at once.
import { describe, expect, it } from "vitest";
import { ScoringQueue } from "../../../ts/validator/organic/index.js";

describe("ScoringQueue", () => {
  it("runs maxInFlight, queues maxQueued, refuses the rest, then runs the queued as slots free", async () => {
    const q = new ScoringQueue({ maxInFlight: 2, maxQueued: 1 });
    const release: Array<() => void> = [];
    let started = 0;
    const job = () => () => new Promise<void>((r) => (started++, release.push(r)));
    expect([q.offer(job()), q.offer(job()), q.offer(job()), q.offer(job())]).toEqual([true, true, true, false]);
    await Promise.resolve();
    expect(started).toBe(2);
    release.shift()!();
    for (let i = 0; i < 10 && started < 3; i++) await Promise.resolve();
    expect(started).toBe(3);
    // a slot is free again in the queue's bound: one more may wait
    expect(q.offer(job())).toBe(true);
    expect(q.offer(job())).toBe(false);
    const drained = q.drain();
    while (release.length) {
      release.shift()!();
      for (let i = 0; i < 10; i++) await Promise.resolve();
    }
    await drained;
    expect(started).toBe(4);
  });

  it("with no queue, refuses as soon as every slot is busy", () => {
    const q = new ScoringQueue({ maxInFlight: 1, maxQueued: 0 });
    expect(q.offer(() => new Promise<void>(() => undefined))).toBe(true);
    expect(q.offer(async () => undefined)).toBe(false);
  });
});
