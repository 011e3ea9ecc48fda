// btauth/1 on our axon from our dendrite (loopback): same blacklist, admit and forward as 10.x requests, and the
// `acceptAuth` choice refuses the scheme that is switched off.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Axon, AxonRequestError } from "../../ts/axon/index.js";
import { Dendrite } from "../../ts/dendrite/index.js";
import { TextCompressProtocol, type WireAuth } from "../../ts/bittensor/index.js";
import { devKeys } from "./helpers.js";

let keys: Awaited<ReturnType<typeof devKeys>>;
const axons: Axon[] = [];
const admitted: string[] = [];

async function start(acceptAuth?: WireAuth[]): Promise<{ ip: string; port: number; hotkey: string }> {
  const axon = new Axon({
    wallet: keys.bob,
    port: 0,
    ip: "127.0.0.1",
    ...(acceptAuth ? { acceptAuth } : {}),
    blacklist: ({ hotkey }) => (hotkey === keys.eve.address ? { blocked: true, reason: "unknown hotkey" } : { blocked: false }),
  });
  axon.attach(TextCompressProtocol, {
    admit: (s, info) => {
      admitted.push(info.hotkey);
      if (s.context === "over") throw new AxonRequestError(429, "over budget");
    },
    forward: (s, ctx) => ({ compressed_context: `${ctx.hotkey}:${s.context}` }),
  });
  axons.push(axon);
  const { port } = await axon.start();
  return { ip: "127.0.0.1", port, hotkey: keys.bob.address };
}

beforeAll(async () => {
  keys = await devKeys();
});
afterAll(async () => {
  for (const a of axons) await a.stop();
});

it("our btauth1 dendrite passes blacklist, verify, admit and forward; a replay-free burst of 20 concurrent calls all pass", async () => {
  const t = await start();
  const d = new Dendrite({ wallet: keys.alice, auth: "btauth1" });
  const r = await d.call(t, TextCompressProtocol.create({ context: "hi" }));
  expect(r.dendrite.status_code).toBe(200);
  expect(r.compressed_context).toBe(`${keys.alice.address}:hi`);
  expect(admitted).toContain(keys.alice.address);
  const burst = await Promise.all(Array.from({ length: 20 }, (_, i) => d.call(t, TextCompressProtocol.create({ context: `c${i}` }))));
  expect(burst.map((b) => b.dendrite.status_code)).toEqual(Array(20).fill(200));
  expect((await d.call(t, TextCompressProtocol.create({ context: "over" }))).dendrite.status_code).toBe(429);
  d.close();
  const eve = new Dendrite({ wallet: keys.eve, auth: "btauth1" });
  expect((await eve.call(t, TextCompressProtocol.create({ context: "x" }))).dendrite.status_code).toBe(403);
  eve.close();
});

it("acceptAuth switches a scheme off: a bt10-only axon refuses btauth/1 and a btauth1-only axon refuses 10.x headers", async () => {
  const bt10Only = await start(["bt10"]);
  const btauthOnly = await start(["btauth1"]);
  const viaBtauth = new Dendrite({ wallet: keys.alice, auth: "btauth1" });
  const viaBt10 = new Dendrite({ wallet: keys.alice });
  expect((await viaBtauth.call(bt10Only, TextCompressProtocol.create({ context: "x" }))).dendrite.status_code).toBe(401);
  expect((await viaBt10.call(bt10Only, TextCompressProtocol.create({ context: "x" }))).dendrite.status_code).toBe(200);
  expect((await viaBt10.call(btauthOnly, TextCompressProtocol.create({ context: "x" }))).dendrite.status_code).toBe(401);
  expect((await viaBtauth.call(btauthOnly, TextCompressProtocol.create({ context: "x" }), { auth: "btauth1" })).dendrite.status_code).toBe(200);
  expect((await viaBt10.call(btauthOnly, TextCompressProtocol.create({ context: "x" }), { auth: "btauth1" })).dendrite.status_code).toBe(200);
  viaBtauth.close();
  viaBt10.close();
});
