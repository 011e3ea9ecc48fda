import { describe, expect, it } from "vitest";
import { backoffDelay, isTransientConnectionError, withBackoff } from "../../ts/chain/backoff.js";

describe("withBackoff", () => {
  it("retries transient failures with doubling, capped delays, then succeeds", async () => {
    const delays: number[] = [];
    let calls = 0;
    const out = await withBackoff(
      async () => {
        calls += 1;
        if (calls < 4) throw new Error("WebSocket is not connected");
        return "ok";
      },
      { retries: 5, initialMs: 100, maxMs: 300, random: () => 0.5, sleep: async (ms) => void delays.push(ms), isRetryable: isTransientConnectionError },
    );
    expect(out).toBe("ok");
    expect(calls).toBe(4);
    expect(delays).toEqual([100, 200, 300]);
  });
  it("gives up after the retry budget and rethrows the last error", async () => {
    let calls = 0;
    await expect(
      withBackoff(
        async () => {
          calls += 1;
          throw new Error(`disconnected ${calls}`);
        },
        { retries: 2, initialMs: 1, maxMs: 1, sleep: async () => {} },
      ),
    ).rejects.toThrow("disconnected 3");
    expect(calls).toBe(3);
  });
  it("does not retry errors that are not transient", async () => {
    let calls = 0;
    await expect(
      withBackoff(
        async () => {
          calls += 1;
          throw new Error("Invalid Transaction: Custom error: 6");
        },
        { retries: 5, initialMs: 1, maxMs: 1, sleep: async () => {}, isRetryable: isTransientConnectionError },
      ),
    ).rejects.toThrow(/Custom error/);
    expect(calls).toBe(1);
  });
  it("jitters within +-20%", () => {
    expect(backoffDelay(1, { initialMs: 1000, maxMs: 60_000, random: () => 0 })).toBe(800);
    expect(backoffDelay(1, { initialMs: 1000, maxMs: 60_000, random: () => 1 })).toBe(1200);
    expect(backoffDelay(10, { initialMs: 1000, maxMs: 5000, random: () => 1 })).toBe(5000);
  });
});

import { parsePoolRejection, customInvalidTxName } from "../../ts/chain/errors.js";

describe("pool rejections", () => {
  it("names subtensor's InvalidTransaction::Custom codes", () => {
    expect(parsePoolRejection("1010: Invalid Transaction: Custom error: 6")).toMatchObject({
      kind: "invalid-transaction",
      code: "RateLimitExceeded",
    });
    expect(parsePoolRejection("Invalid Transaction: Custom error: 12")?.code).toBe("ServingRateLimitExceeded");
    expect(customInvalidTxName(200)).toBe("CustomInvalidTransaction200");
    expect(parsePoolRejection("1010: Invalid Transaction: Transaction has a bad signature")?.code).toBe("BadProof");
    expect(parsePoolRejection("1010: Invalid Transaction: Transaction is outdated")?.code).toBe("Stale");
    expect(parsePoolRejection("1010: Invalid Transaction: something new")?.code).toBe("InvalidTransaction");
    expect(parsePoolRejection("connection reset")).toBeNull();
  });
});
