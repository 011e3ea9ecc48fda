// One deadline per request, fixed at arrival: time spent waiting for a forward slot comes out of the caller's
// timeout, so the forward never runs past what the caller waits for.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Axon } from "../../ts/axon/index.js";
import { TextCompressProtocol } from "../../ts/bittensor/index.js";
import { devKeys, post, signedRequest } from "./helpers.js";

let axon: Axon;
let port: number;
let keys: Awaited<ReturnType<typeof devKeys>>;
const seen: Array<{ context: string; deadline: number }> = [];

beforeAll(async () => {
  keys = await devKeys();
  axon = new Axon({ wallet: keys.bob, port: 0, ip: "127.0.0.1", maxConcurrentForwards: 1 });
  axon.attach(TextCompressProtocol, {
    forward: async (s, ctx) => {
      seen.push({ context: s.context, deadline: ctx.deadline });
      if (s.context === "slow") await new Promise((r) => setTimeout(r, 1500));
      return { compressed_context: s.context };
    },
  });
  ({ port } = await axon.start());
});
afterAll(() => axon.stop());

it("a queued request keeps the deadline it arrived with", async () => {
  const slow = post(port, "TextCompressProtocol", signedRequest(TextCompressProtocol, { context: "slow" }, keys.alice, keys.bob.address, { timeoutS: 10 }));
  await new Promise((r) => setTimeout(r, 100));
  const sentAt = Date.now();
  const queued = post(port, "TextCompressProtocol", signedRequest(TextCompressProtocol, { context: "queued" }, keys.charlie, keys.bob.address, { timeoutS: 5 }));
  expect((await slow).status).toBe(200);
  expect((await queued).status).toBe(200);
  const q = seen.find((x) => x.context === "queued")!;
  // It waited ~1.4 s for the slot; its deadline is still arrival + 5 s, not slot + 5 s.
  expect(q.deadline).toBeLessThanOrEqual(sentAt + 5000 + 300);
  expect(q.deadline).toBeGreaterThanOrEqual(sentAt + 5000 - 300);
});
