// Keyfile interop with btwallet (the Rust wallet behind bittensor 10.5.0, in .venv-bt), real Argon2i included:
// we load and decrypt what it writes, it loads and decrypts what we write.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cryptoReady, publicKeyOf, parseSignatureHex, wasmVerifier } from "../../ts/bittensor/index.js";
import { loadKeyfile, Wallet } from "../../ts/wallet/index.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const PY = path.join(root, ".venv-bt/bin/python");
const PEER = path.join(root, "test/interop/py/wallet_peer.py");

function peer(args: string[]): Record<string, string> {
  const r = spawnSync(PY, [PEER, ...args], { encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`wallet_peer.py ${args[0]} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

let dir: string;
beforeAll(async () => {
  if (!existsSync(PY)) throw new Error(`${PY} missing: run scripts/setup.d/20-bittensor-sdk.sh`);
  await cryptoReady();
  dir = mkdtempSync(path.join(os.tmpdir(), "condense-btw-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("btwallet -> us", () => {
  let facts: Record<string, string>;
  beforeAll(() => {
    facts = peer(["make", dir, "s3cret pw"]);
  }, 150_000);

  it("decrypts a $NACL coldkey with the password from BT_PW_<PATH> (Argon2i + secretbox)", async () => {
    const w = new Wallet({ name: "py", hotkey: "hk", path: dir });
    const file = w.coldkeyFile;
    const prev = process.env[facts["env_name"]!];
    expect(facts["env_name"]).toBe("BT_PW_" + file.replace(/[/.]/g, "_").toUpperCase());
    process.env[facts["env_name"]!] = facts["env_value"]!;
    try {
      const cold = await w.coldkey();
      expect(cold.keypair.address).toBe(facts["coldkey"]);
      expect(cold.source).toBe("secretPhrase");
    } finally {
      if (prev === undefined) delete process.env[facts["env_name"]!];
      else process.env[facts["env_name"]!] = prev;
    }
  }, 120_000);

  it("loads its hotkey from the phrase and from privateKey alone (canonical schnorrkel format)", async () => {
    const w = new Wallet({ name: "py", hotkey: "hk", path: dir });
    expect((await w.hotkey()).keypair.address).toBe(facts["hotkey"]);
    const pkOnly = await loadKeyfile(w.hotkeyFile + "_pk");
    expect(pkOnly.source).toBe("privateKey:canonical");
    expect(pkOnly.keypair.address).toBe(facts["hotkey"]);
    // Same key: our signature verifies against its address, its signature against ours.
    const sig = parseSignatureHex(facts["signature"]!)!;
    expect(wasmVerifier(Buffer.from("condense interop"), sig, publicKeyOf(pkOnly.keypair.address))).toBe(true);
  });
});

describe("us -> btwallet", () => {
  it("btwallet decrypts the coldkey we encrypted and loads the hotkey we wrote", async () => {
    const w = new Wallet({ name: "ts", hotkey: "hk", path: dir });
    const made = await w.create({ coldkey: true, hotkey: true, coldkeyPassword: "pw from ts" });
    const r = peer(["read", dir, "ts", "hk", "pw from ts", "hello"]);
    expect(r["coldkey"]).toBe(made.coldkey!.address);
    expect(r["coldkeypub"]).toBe(made.coldkey!.address);
    expect(r["hotkey"]).toBe(made.hotkey!.address);
    expect(wasmVerifier(Buffer.from("hello"), parseSignatureHex(r["signature"]!)!, made.hotkey!.publicKey)).toBe(true);
  }, 150_000);
});
