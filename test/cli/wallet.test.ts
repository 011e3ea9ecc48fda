// `condense wallet` as a process, judged by the official Python wallet (bittensor_wallet in .venv-bt): what the CLI
// writes loads there with the same addresses, a mnemonic regenerates the SDK's address for it, and wallets the SDK
// made are listed by the CLI. One encrypted coldkey only: the $NACL KDF (Argon2i, 512 MiB) is slow by design.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { mnemonicGenerate } from "@polkadot/util-crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condense, sdk } from "./helpers.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "condense-cli-wallet-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;
const digest = (p: string) => createHash("sha256").update(readFileSync(p)).digest("hex");
const json = (s: string) => JSON.parse(s) as Record<string, any>;

describe("condense wallet create", () => {
  it("writes an encrypted coldkey, coldkeypub.txt and a hotkey that the SDK loads with the same addresses", async () => {
    const pwFile = path.join(dir, "pw.txt");
    writeFileSync(pwFile, "correct horse\n");
    const r = await condense(["wallet", "create", "--wallet.path", dir, "--wallet.name", "enc", "--wallet.hotkey", "hk", "--password-file", pwFile, "--json"]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    const made = json(r.stdout);
    const w = path.join(dir, "enc");
    for (const f of ["coldkey", "coldkeypub.txt", "hotkeys/hk", "hotkeys/hkpub.txt"]) expect(mode(path.join(w, f)), f).toBe(0o600);
    for (const d of [w, path.join(w, "hotkeys")]) expect(mode(d), d).toBe(0o700);
    expect(readFileSync(path.join(w, "coldkey")).subarray(0, 5).toString()).toBe("$NACL");

    // The password is the file's first line, without its newline: the SDK decrypts with exactly that.
    const py = sdk(["read", dir, "enc", "hk", "correct horse"]);
    expect(py["coldkey_encrypted"]).toBe(true);
    expect(py["coldkey"]).toBe(made.coldkey.address);
    expect(py["coldkeypub"]).toBe(made.coldkey.address);
    expect(py["hotkey"]).toBe(made.hotkey.address);
    // The printed mnemonics restore the same keys in the SDK.
    expect(sdk(["address"], `${made.coldkey.mnemonic}\n${made.hotkey.mnemonic}\n`)["addresses"]).toEqual([made.coldkey.address, made.hotkey.address]);
  }, 300_000);

  it("refuses to overwrite without --overwrite, and --overwrite --only hotkey replaces just the hotkey", async () => {
    const r = await condense(["wallet", "create", "--wallet.path", dir, "--wallet.name", "plain", "--unencrypted", "--json"]);
    expect(r.exitCode).toBe(0);
    const first = json(r.stdout);
    const cold = path.join(dir, "plain", "coldkey");
    const before = digest(cold);

    const again = await condense(["wallet", "create", "--wallet.path", dir, "--wallet.name", "plain", "--unencrypted"]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain("refusing to overwrite");
    expect(again.stderr).toContain("--overwrite");
    expect(again.stderr).toContain(cold);
    expect(digest(cold)).toBe(before);

    const hot = await condense(["wallet", "create", "--wallet.path", dir, "--wallet.name", "plain", "--only", "hotkey", "--overwrite", "--json"]);
    expect(hot.exitCode).toBe(0);
    const second = json(hot.stdout);
    expect(second.coldkey).toBeUndefined();
    expect(second.hotkey.address).not.toBe(first.hotkey.address);
    expect(digest(cold)).toBe(before);
    const py = sdk(["read", dir, "plain", "default"]);
    expect(py["coldkey_encrypted"]).toBe(false);
    expect(py["coldkey"]).toBe(first.coldkey.address);
    expect(py["hotkey"]).toBe(second.hotkey.address);
  }, 300_000);

  it("without a password source (no terminal) it refuses, names the three ways, and writes nothing", async () => {
    const r = await condense(["wallet", "create", "--wallet.path", dir, "--wallet.name", "nopw"]);
    expect(r.exitCode).toBe(2);
    for (const way of ["--password-file", "CONDENSE_WALLET_PASSWORD", "--unencrypted"]) expect(r.stderr).toContain(way);
    expect(() => statSync(path.join(dir, "nopw"))).toThrow();
  }, 120_000);
});

describe("condense wallet regen", () => {
  const coldPhrase = mnemonicGenerate(12);
  const hotPhrase = mnemonicGenerate(24);
  let addresses: string[];
  beforeAll(() => {
    addresses = sdk(["address"], `${coldPhrase}\n${hotPhrase}\n`)["addresses"] as string[];
  }, 120_000);

  it("a coldkey from stdin and a hotkey from a file give the SDK's addresses for those mnemonics", async () => {
    const cold = await condense(["wallet", "regen", "coldkey", "--wallet.path", dir, "--wallet.name", "re", "--unencrypted", "--json"], { input: `${coldPhrase}\n` });
    expect(cold.exitCode).toBe(0);
    const hotFile = path.join(dir, "hot-mnemonic.txt");
    writeFileSync(hotFile, `  ${hotPhrase.split(" ").join("  ")}\n`); // stray spaces are normalised, as btcli does
    const hot = await condense(["wallet", "regen", "hotkey", "--wallet.path", dir, "--wallet.name", "re", "--wallet.hotkey", "hk", "--mnemonic-file", hotFile, "--json"]);
    expect(hot.exitCode).toBe(0);

    expect(json(cold.stdout).address).toBe(addresses[0]);
    expect(json(hot.stdout).address).toBe(addresses[1]);
    const py = sdk(["read", dir, "re", "hk"]);
    expect(py["coldkey"]).toBe(addresses[0]);
    expect(py["coldkeypub"]).toBe(addresses[0]);
    expect(py["hotkey"]).toBe(addresses[1]);
    expect(mode(path.join(dir, "re", "hotkeys", "hk"))).toBe(0o600);
  }, 300_000);

  it("refuses a bad mnemonic, a mnemonic on argv and an existing key, each saying what to do", async () => {
    const [bad, argv, exists] = await Promise.all([
      condense(["wallet", "regen", "hotkey", "--wallet.path", dir, "--wallet.name", "re", "--wallet.hotkey", "x"], { input: "not a real mnemonic\n" }),
      condense(["wallet", "regen", "hotkey", "abandon", "abandon", "--wallet.path", dir]),
      condense(["wallet", "regen", "coldkey", "--wallet.path", dir, "--wallet.name", "re", "--unencrypted"], { input: `${mnemonicGenerate(12)}\n` }),
    ]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain("not a valid BIP39 phrase");
    expect(argv.exitCode).toBe(2);
    expect(exists.exitCode).toBe(2);
    expect(exists.stderr).toContain("--overwrite");
    expect(statSync(path.join(dir, "re", "coldkey")).isFile()).toBe(true);
  }, 180_000);

  it("coldkeypub from an address: the SDK reads the same address", async () => {
    const r = await condense(["wallet", "regen", "coldkeypub", "--wallet.path", dir, "--wallet.name", "pubonly", "--ss58", addresses[0]!]);
    expect(r.exitCode).toBe(0);
    expect(sdk(["read", dir, "pubonly", "default"])["coldkeypub"]).toBe(addresses[0]);
  }, 180_000);
});

describe("condense wallet list and show", () => {
  it("list shows wallets the SDK made, with their hotkeys' addresses; show prints one wallet's addresses", async () => {
    const made = sdk(["make", dir, "bysdk", "alpha", "beta"]) as { coldkey: string; hotkeys: Record<string, string> };
    const r = await condense(["wallet", "list", "--wallet.path", dir, "--json"]);
    expect(r.exitCode).toBe(0);
    const listed = json(r.stdout).wallets as { name: string; coldkey: { address: string; encrypted: boolean }; hotkeys: { name: string; address: string }[] }[];
    const w = listed.find((x) => x.name === "bysdk")!;
    expect(w.coldkey.address).toBe(made.coldkey);
    expect(Object.fromEntries(w.hotkeys.map((h) => [h.name, h.address]))).toEqual(made.hotkeys);
    // The encrypted wallet is listed from coldkeypub.txt, without a password.
    expect(listed.find((x) => x.name === "enc")?.coldkey.encrypted).toBe(true);

    const text = await condense(["wallet", "show", "--wallet.path", dir, "--wallet.name", "bysdk", "--wallet.hotkey", "beta"]);
    expect(text.exitCode).toBe(0);
    expect(text.stdout).toContain(made.coldkey);
    expect(text.stdout).toContain(made.hotkeys["beta"]!);
    expect(text.stdout).not.toContain(made.hotkeys["alpha"]!);

    const missing = await condense(["wallet", "show", "--wallet.path", dir, "--wallet.name", "nosuch"]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("condense wallet create --wallet.name nosuch");
  }, 180_000);
});
