// The admit hook: runs after the signature, body parse and body-hash check but before the forward-slot wait,
// so a refusal (budget, model, tier) answers at once even while every forward slot is busy.
import { afterAll, beforeAll, expect, it } from "vitest";
import { Axon, AxonRequestError } from "../../ts/axon/index.js";
import { defineSynapse, py, required, TextCompressProtocol } from "../../ts/bittensor/index.js";
import { devKeys, post, signedRequest } from "./helpers.js";

const Hashed = defineSynapse({ name: "AdmitHashed", fields: { text: required(py.str()) }, requiredHashFields: ["text"] });

let axon: Axon;
let port: number;
let keys: Awaited<ReturnType<typeof devKeys>>;
let unblock: () => void = () => undefined;
let started: () => void = () => undefined;
const admitted: { hotkey: string; context: string }[] = [];

beforeAll(async () => {
  keys = await devKeys();
  axon = new Axon({ wallet: keys.bob, port: 0, ip: "127.0.0.1", maxConcurrentForwards: 1 });
  axon.attach(TextCompressProtocol, {
    admit: (s, info) => {
      admitted.push({ hotkey: info.hotkey, context: s.context });
      if (s.context === "over budget") throw new AxonRequestError(429, "Too Many Requests: budget spent");
      if (s.context === "admit bug") throw new Error("/secret/path/admit.ts exploded");
    },
    forward: async (s) => {
      if (s.context === "block") {
        started();
        await new Promise<void>((r) => (unblock = r));
      }
      return { compressed_context: s.context };
    },
  });
  axon.attach(Hashed, { admit: () => void admitted.push({ hotkey: "hashed", context: "" }), forward: () => undefined });
  ({ port } = await axon.start());
});
afterAll(() => axon.stop());

it("an admit refusal answers at once while the only forward slot is held", async () => {
  const holding = new Promise<void>((r) => (started = r));
  const first = post(port, "TextCompressProtocol", signedRequest(TextCompressProtocol, { context: "block" }, keys.alice, keys.bob.address, { timeoutS: 30 }));
  await holding;
  const t0 = performance.now();
  const refused = await post(port, "TextCompressProtocol", signedRequest(TextCompressProtocol, { context: "over budget" }, keys.alice, keys.bob.address, { timeoutS: 5 }));
  const ms = performance.now() - t0;
  expect(refused.status).toBe(429);
  expect(refused.json["message"]).toBe("Too Many Requests: budget spent");
  expect(ms).toBeLessThan(1000);
  // admit saw the parsed body and the proven hotkey
  expect(admitted.find((a) => a.context === "over budget")?.hotkey).toBe(keys.alice.address);
  unblock();
  expect((await first).status).toBe(200);
});

it("admit never runs for a bad signature or a body that does not match its hash", async () => {
  admitted.length = 0;
  const forged = await post(port, "TextCompressProtocol", signedRequest(TextCompressProtocol, { context: "x" }, keys.alice, keys.bob.address, { signer: keys.eve }));
  expect(forged.status).toBe(401);
  const req = signedRequest(Hashed, { text: "signed" }, keys.alice, keys.bob.address);
  const tampered = await post(port, "AdmitHashed", { ...req, body: req.body.replace("signed", "evil!!") });
  expect(tampered.status).toBe(500);
  expect(admitted).toEqual([]);
});

it("a throw other than AxonRequestError in admit is a generic 500", async () => {
  const r = await post(port, "TextCompressProtocol", signedRequest(TextCompressProtocol, { context: "admit bug" }, keys.alice, keys.bob.address));
  expect(r.status).toBe(500);
  expect(String(r.json["message"])).toMatch(/^Internal Server Error #[0-9a-f-]{36}$/);
});
