// Epistula v2: sign, verify over the exact body bytes, and each rejection's typed code.
import { createHash } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { cryptoReady, publicKeyOf, parseSignatureHex, wasmVerifier } from "../../ts/bittensor/index.js";
import { EpistulaError, epistulaMessage, signEpistula, verifyEpistula } from "../../ts/epistula/index.js";
import { Keypair } from "../../ts/wallet/index.js";

let alice: Keypair;
let bob: Keypair;
beforeAll(async () => {
  await cryptoReady();
  alice = Keypair.fromUri("//Alice");
  bob = Keypair.fromUri("//Bob");
});

const body = JSON.stringify({ model: "m", messages: [{ role: "user", content: "hi" }] });

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (e) {
    if (e instanceof EpistulaError) return `${e.status}:${e.code}`;
    throw e;
  }
}

describe("Epistula v2", () => {
  it("signs sha256(body).uuid.timestamp.signedFor and verifies", async () => {
    const h = signEpistula(alice, body, { signedFor: bob.address, timestampMs: 1_700_000_000_000, uuid: "u-1" });
    const expected = `${createHash("sha256").update(body).digest("hex")}.u-1.1700000000000.${bob.address}`;
    expect(epistulaMessage(Buffer.from(body), "u-1", 1_700_000_000_000, bob.address)).toBe(expected);
    expect(wasmVerifier(Buffer.from(expected), parseSignatureHex(h["Epistula-Request-Signature"]!)!, publicKeyOf(alice.address))).toBe(true);
    const v = await verifyEpistula(h, body, { receiver: bob.address, nowMs: 1_700_000_001_000 });
    expect(v).toEqual({ signedBy: alice.address, signedFor: bob.address, uuid: "u-1", timestampMs: 1_700_000_000_000 });
  });

  it("accepts lower-case header names and an empty signed-for", async () => {
    const h = signEpistula(alice, body);
    const lower = Object.fromEntries(Object.entries(h).map(([k, v]) => [k.toLowerCase(), v]));
    expect((await verifyEpistula(lower, Buffer.from(body))).signedFor).toBeNull();
  });

  it("adds the optional secret signatures over ceil(ts/1e4)+i-1", () => {
    const h = signEpistula(alice, body, { signedFor: bob.address, timestampMs: 1_700_000_000_001, secretSignatures: true });
    const interval = Math.ceil(1_700_000_000_001 / 1e4);
    const sig1 = parseSignatureHex(h["Epistula-Secret-Signature-1"]!)!;
    expect(wasmVerifier(Buffer.from(`${interval}.${bob.address}`), sig1, alice.publicKey)).toBe(true);
  });

  it("rejects with typed codes: tampering, staleness, wrong receiver, bad headers", async () => {
    const now = 1_700_000_000_000;
    const h = signEpistula(alice, body, { signedFor: bob.address, timestampMs: now });
    expect(await code(verifyEpistula(h, body + " ", { nowMs: now }))).toBe("401:bad_signature");
    expect(await code(verifyEpistula(h, body, { nowMs: now + 9_000 }))).toBe("401:stale");
    expect(await code(verifyEpistula(h, body, { nowMs: now - 20_000 }))).toBe("401:future");
    expect(await code(verifyEpistula(h, body, { nowMs: now, receiver: alice.address }))).toBe("401:wrong_receiver");
    expect(await code(verifyEpistula({ ...h, "Epistula-Version": "1" }, body, { nowMs: now }))).toBe("400:bad_version");
    expect(await code(verifyEpistula({ ...h, "Epistula-Timestamp": "soon" }, body, { nowMs: now }))).toBe("400:bad_timestamp");
    expect(await code(verifyEpistula({ ...h, "Epistula-Signed-By": "nope" }, body, { nowMs: now }))).toBe("401:bad_hotkey");
    const { ["Epistula-Uuid"]: _u, ...noUuid } = h;
    expect(await code(verifyEpistula(noUuid, body, { nowMs: now }))).toBe("400:missing_header");
    const forged = { ...h, "Epistula-Signed-By": bob.address };
    expect(await code(verifyEpistula(forged, body, { nowMs: now }))).toBe("401:bad_signature");
  });
});
