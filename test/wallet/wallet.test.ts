// Keypairs, keyfiles and wallet directories, without Python (interop with btwallet is in test/interop).
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256 } from "@noble/hashes/sha2.js";
import { cryptoReady, publicKeyOf, wasmVerifier } from "../../ts/bittensor/index.js";
import {
  canonicalToEd25519Secret,
  decodeEnvPassword,
  decryptNacl,
  DEV_PHRASE,
  ed25519ToCanonicalSecret,
  encodeEnvPassword,
  encryptNacl,
  KeyfileDecryptionError,
  keyfileJson,
  keypairFromKeyfile,
  Keypair,
  loadKeyfile,
  passwordEnvName,
  passwordFromEnv,
  Wallet,
  WalletError,
} from "../../ts/wallet/index.js";

// Known substrate dev addresses (sr25519, prefix 42).
const ALICE = "5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY";
const DEV_ROOT = "5DfhGyQdFobKM8NsWvEeAKk5EQQgYe9AydgJ7rMB6E1EqRzV";

let dir: string;
beforeAll(async () => {
  await cryptoReady();
  dir = mkdtempSync(path.join(os.tmpdir(), "condense-wallet-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const hex = (b: Uint8Array) => "0x" + Buffer.from(b).toString("hex");

describe("Keypair", () => {
  it("derives the substrate dev addresses", () => {
    expect(Keypair.fromUri("//Alice").address).toBe(ALICE);
    expect(Keypair.fromMnemonic(DEV_PHRASE).address).toBe(DEV_ROOT);
  });

  it("signs with wasm and the signature verifies against the ss58 public key", () => {
    const kp = Keypair.fromUri("//Alice");
    const msg = Buffer.from("1.a.b.c.d");
    const sig = kp.sign(msg);
    expect(sig.length).toBe(64);
    expect(wasmVerifier(msg, sig, publicKeyOf(ALICE))).toBe(true);
    expect(wasmVerifier(Buffer.from("1.a.b.c.e"), sig, publicKeyOf(ALICE))).toBe(false);
  });

  it("converts between the canonical and the polkadot-js 64-byte secret formats", () => {
    const kp = Keypair.fromMnemonic(DEV_PHRASE);
    const ed = kp.secretKeyBytes();
    const canonical = ed25519ToCanonicalSecret(ed);
    expect(Buffer.from(canonical).equals(Buffer.from(ed))).toBe(false);
    expect(Buffer.from(canonicalToEd25519Secret(canonical)).equals(Buffer.from(ed))).toBe(true);
    expect(Keypair.fromSecretKey(canonicalToEd25519Secret(canonical)).address).toBe(DEV_ROOT);
  });

  it("a public-key-only pair refuses to sign", () => {
    const kp = Keypair.fromPublicKey(publicKeyOf(ALICE));
    expect(kp.address).toBe(ALICE);
    expect(() => kp.sign("x")).toThrow(/cannot sign/);
  });
});

describe("keyfile loading priority", () => {
  const kp = Keypair.fromMnemonic(DEV_PHRASE);
  const pub = hex(kp.publicKey);
  const ed = kp.secretKeyBytes();

  it("uses the phrase first, then the seed", () => {
    const full = JSON.parse(keyfileJson(kp, { phrase: DEV_PHRASE }));
    expect(keypairFromKeyfile(full).source).toBe("secretPhrase");
    const seedOnly = { publicKey: pub, secretSeed: "0xfac7959dbfe72f052e5a0c3c8d6530f202b02fd8f9f5ca3580ec8deb7797479e" };
    const r = keypairFromKeyfile(seedOnly);
    expect(r.source).toBe("secretSeed");
    expect(r.keypair.address).toBe(DEV_ROOT);
  });

  it("accepts privateKey in either 64-byte format, keeping the one that matches publicKey", () => {
    const canonical = keypairFromKeyfile({ publicKey: pub, privateKey: hex(ed25519ToCanonicalSecret(ed)) });
    expect(canonical.source).toBe("privateKey:canonical");
    expect(canonical.keypair.address).toBe(DEV_ROOT);
    const edForm = keypairFromKeyfile({ publicKey: pub, privateKey: hex(ed) });
    expect(edForm.source).toBe("privateKey:ed25519");
    expect(edForm.keypair.address).toBe(DEV_ROOT);
  });

  it("rejects secrets that do not match the stored public key, and malformed fields", () => {
    const other = hex(Keypair.fromUri("//Bob").publicKey);
    expect(() => keypairFromKeyfile({ publicKey: other, secretPhrase: DEV_PHRASE })).toThrow(/does not match/);
    expect(() => keypairFromKeyfile({ publicKey: other, privateKey: hex(ed) })).toThrow(/neither 64-byte format/);
    expect(() => keypairFromKeyfile({ publicKey: pub, privateKey: "0x1234" })).toThrow(/64 bytes/);
    expect(() => keypairFromKeyfile({ secretPhrase: "not a real mnemonic at all" })).toThrow(/mnemonic/);
    expect(() => keypairFromKeyfile({})).toThrow(/holds no key/);
  });

  it("falls back to a public-key-only pair (coldkeypub.txt)", () => {
    const r = keypairFromKeyfile({ ss58Address: DEV_ROOT });
    expect(r.source).toBe("publicKey");
    expect(r.keypair.canSign).toBe(false);
  });
});

describe("Wallet directories", () => {
  it("creates btcli-shaped files with 0600 permissions and loads them back", async () => {
    const w = new Wallet({ name: "w1", hotkey: "h1", path: dir });
    const made = await w.create({ coldkey: true, hotkey: true });
    for (const f of [w.coldkeyFile, w.coldkeypubFile, w.hotkeyFile, w.hotkeypubFile]) expect(statSync(f).mode & 0o777).toBe(0o600);
    const hot = JSON.parse(readFileSync(w.hotkeyFile, "utf8"));
    expect(Object.keys(hot).sort()).toEqual(["accountId", "privateKey", "publicKey", "secretPhrase", "secretSeed", "ss58Address"]);
    expect(hot.ss58Address).toBe(made.hotkey!.address);
    expect(Object.keys(JSON.parse(readFileSync(w.coldkeypubFile, "utf8"))).sort()).toEqual(["accountId", "publicKey", "ss58Address"]);
    const loaded = await w.hotkey();
    expect(loaded.source).toBe("secretPhrase");
    expect(loaded.keypair.address).toBe(made.hotkey!.address);
    expect((await w.coldkeypub()).keypair.address).toBe(made.coldkey!.address);
    await expect(w.create({ coldkey: false, hotkey: true })).rejects.toBeInstanceOf(WalletError);
  });

  it("gives typed errors for missing, non-JSON and legacy-encrypted keyfiles", async () => {
    await expect(loadKeyfile(path.join(dir, "nope"))).rejects.toThrow(/keyfile not found/);
    const junk = path.join(dir, "junk");
    writeFileSync(junk, "hello");
    await expect(loadKeyfile(junk)).rejects.toThrow(/not JSON/);
    const vault = path.join(dir, "vault");
    writeFileSync(vault, "$ANSIBLE_VAULT;1.1;AES256\n3132");
    await expect(loadKeyfile(vault)).rejects.toThrow(/legacy ansible-vault/);
    expect(() => new Wallet({ name: "../x", path: dir })).toThrow(WalletError);
  });
});

describe("$NACL envelope and env passwords", () => {
  // The real KDF (Argon2i, 512 MiB) is exercised against btwallet in test/interop; a cheap stand-in here.
  const fastKdf = async (pw: string) => sha256(Buffer.from(pw));

  it("round-trips, and a wrong password or truncation is a typed error", async () => {
    const plain = Buffer.from(keyfileJson(Keypair.fromUri("//Alice")));
    const box = await encryptNacl(plain, "pw", fastKdf);
    expect(Buffer.from(box.subarray(0, 5)).toString()).toBe("$NACL");
    expect(box.length).toBe(5 + 24 + 16 + plain.length);
    expect(Buffer.from(await decryptNacl(box, "pw", fastKdf)).equals(plain)).toBe(true);
    await expect(decryptNacl(box, "wrong", fastKdf)).rejects.toBeInstanceOf(KeyfileDecryptionError);
    await expect(decryptNacl(box.subarray(0, 30), "pw", fastKdf)).rejects.toThrow(/truncated/);
  });

  it("reads BT_PW_<PATH> as btwallet encodes it", () => {
    const file = "/tmp/tmpibni31oz/py/coldkey";
    const name = passwordEnvName(file);
    expect(name).toBe("BT_PW__TMP_TMPIBNI31OZ_PY_COLDKEY");
    // Value produced by btwallet's Keyfile.save_password_to_env("pw-123") for that path.
    expect(decodeEnvPassword(name, "MiNyYWVs")).toBe("pw-123");
    expect(encodeEnvPassword(name, "pw-123")).toBe("MiNyYWVs");
    expect(passwordFromEnv(file, { [name]: "MiNyYWVs" })).toBe("pw-123");
    expect(passwordFromEnv(file, {})).toBeNull();
  });
});
