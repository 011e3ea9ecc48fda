// The priority hook with an admission limit: a request that cannot get a forward slot within its timeout gets
// the Python axon's 408, and the axon keeps serving.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Axon } from "../../ts/axon/index.js";
import { Dendrite } from "../../ts/dendrite/index.js";
import { TextCompressProtocol } from "../../ts/bittensor/index.js";
import { devKeys, post, signedRequest } from "./helpers.js";

let axon: Axon;
let port: number;
let keys: Awaited<ReturnType<typeof devKeys>>;
let unblock: () => void = () => undefined;
let started: () => void = () => undefined;

beforeAll(async () => {
  keys = await devKeys();
  axon = new Axon({ wallet: keys.bob, port: 0, ip: "127.0.0.1", maxConcurrentForwards: 1 });
  axon.attach(TextCompressProtocol, {
    priority: () => 1,
    forward: async (s) => {
      if (s.context === "block") {
        started();
        await new Promise<void>((r) => (unblock = r));
      }
      return { compressed_context: s.context };
    },
  });
  ({ port } = await axon.start());
});
afterAll(() => axon.stop());

it("408 'Response timeout after: Ns' while the only slot is held", async () => {
  const d = new Dendrite({ wallet: keys.alice });
  const target = { ip: "127.0.0.1", port, hotkey: keys.bob.address };
  const holding = new Promise<void>((r) => (started = r));
  const first = d.call(target, TextCompressProtocol.create({ context: "block" }), { timeoutS: 30 });
  await holding;
  // Sent without a client-side timer, so the 408 can only come from the axon.
  const second = await post(port, "TextCompressProtocol", signedRequest(TextCompressProtocol, { context: "wait" }, keys.alice, keys.bob.address, { timeoutS: 0.3 }));
  expect(second.status).toBe(408);
  expect(second.json["message"]).toBe("Response timeout after: 0.3s");
  unblock();
  expect((await first).dendrite.status_code).toBe(200);
  const third = await d.call(target, TextCompressProtocol.create({ context: "after" }), { timeoutS: 5 });
  expect(third.compressed_context).toBe("after");
  d.close();
});
