// The fast verifier must agree with @polkadot/wasm-crypto on every input and survive malformed signatures and
// keys (schnorrkel-wasm panics on them and then stops working: see ts/bittensor/signing.ts).
import { randomBytes } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { cryptoReady, polkadotWasmVerifier, publicKeyOf, schnorrkelVerifier } from "../../ts/bittensor/index.js";
import { Keypair } from "../../ts/wallet/index.js";

let alice: Keypair;
beforeAll(async () => {
  await cryptoReady();
  alice = Keypair.fromUri("//Alice");
});

function variants(msg: Uint8Array, sig: Uint8Array, pk: Uint8Array): [string, Uint8Array, Uint8Array, Uint8Array][] {
  const noMarker = Uint8Array.from(sig);
  noMarker[63] = noMarker[63]! & 0x7f;
  const lastByte00 = Uint8Array.from(sig);
  lastByte00[63] = 0;
  const bigS = Uint8Array.from(sig);
  bigS.fill(0xff, 32, 64);
  const badR = Uint8Array.from(sig);
  badR.fill(0xff, 0, 32);
  const notAPoint = new Uint8Array(32).fill(0xff);
  return [
    ["valid", msg, sig, pk],
    ["no marker bit", msg, noMarker, pk],
    ["last byte zeroed", msg, lastByte00, pk],
    ["non-canonical scalar", msg, bigS, pk],
    ["R not a point", msg, badR, pk],
    ["key not a point", msg, sig, notAPoint],
    ["random signature", msg, Uint8Array.from(randomBytes(64)), pk],
    ["random key", msg, sig, Uint8Array.from(randomBytes(32))],
    ["other message", Buffer.from("other"), sig, pk],
    ["short signature", msg, sig.subarray(0, 63), pk],
  ];
}

describe("schnorrkelVerifier", () => {
  it("agrees with @polkadot/wasm-crypto on valid and malformed inputs", () => {
    const msg = Buffer.from("1.a.b.c.d");
    const sig = alice.sign(msg);
    for (const [name, m, s, k] of variants(msg, sig, alice.publicKey)) {
      const expected = s.length === 64 && k.length === 32 ? polkadotWasmVerifier(m, s, k) : false;
      expect(schnorrkelVerifier(m, s, k), name).toBe(expected);
    }
    expect(schnorrkelVerifier(msg, sig, alice.publicKey)).toBe(true);
  });

  it("keeps verifying after thousands of malformed attempts", () => {
    const pk = publicKeyOf(alice.address);
    const msg = Buffer.from("hello");
    const sig = alice.sign(msg);
    expect(schnorrkelVerifier(msg, sig, pk)).toBe(true); // the key is now on the fast path
    const bad = variants(msg, sig, pk).slice(1);
    for (let i = 0; i < 3000; i++) {
      const [, m, s, k] = bad[i % bad.length]!;
      expect(schnorrkelVerifier(m, s, k)).toBe(false);
    }
    expect(schnorrkelVerifier(msg, sig, pk)).toBe(true);
    expect(schnorrkelVerifier(Buffer.from("hellO"), sig, pk)).toBe(false);
  });
});
