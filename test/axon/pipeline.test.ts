// Nonce store rules and the priority gate behind the 408.
import { describe, expect, it } from "vitest";
import { NonceStore, PriorityGate, PriorityTimeoutError } from "../../ts/axon/index.js";

const S = 1_000_000_000n;

describe("NonceStore", () => {
  it("first-seen window is 4 s plus the timeout; afterwards strictly increasing", () => {
    const store = new NonceStore();
    const now = 1_000_000n * S;
    expect(store.check("k", now - 15n * S, 12, now)).toEqual({ ok: true });
    const old = store.check("k", now - 17n * S, 12, now);
    expect(old.ok).toBe(false);
    if (!old.ok) expect(old.reason).toBe("Nonce is too old: acceptable delta is 16.00 seconds but request was 17.00 seconds old");
    store.record("k", now);
    expect(store.check("k", now, 12, now)).toEqual({ ok: false, code: "replayed", reason: "Nonce is too old, a newer one was last processed" });
    expect(store.check("k", now + 1n, 12, now)).toEqual({ ok: true });
    expect(store.check("other", now, 12, now)).toEqual({ ok: true });
  });

  it("caps the client timeout that widens the window and sweeps stale keys", () => {
    const store = new NonceStore({ maxTimeoutS: 10 });
    const now = 1_000_000n * S;
    expect(store.check("k", now - 100n * S, 1e9, now).ok).toBe(false);
    store.record("a", now - 100n * S);
    store.record("b", now);
    expect(store.sweep(now)).toBe(1);
    expect(store.size).toBe(1);
  });
});

describe("PriorityGate", () => {
  it("serves the highest priority first and times out waiters", async () => {
    const gate = new PriorityGate(1);
    const release = await gate.acquire(0, 1000);
    const order: string[] = [];
    const low = gate.acquire(1, 10_000).then((r) => (order.push("low"), r));
    const high = gate.acquire(5, 10_000).then((r) => (order.push("high"), r));
    const doomed = gate.acquire(0, 10);
    await expect(doomed).rejects.toBeInstanceOf(PriorityTimeoutError);
    release();
    (await high)();
    (await low)();
    expect(order).toEqual(["high", "low"]);
    expect(gate.running).toBe(0);
  });
});
