// Reading what a wallets folder holds (names, addresses, which keys are encrypted) without decrypting anything:
// addresses come from the public files (coldkeypub.txt, <hotkey>pub.txt), else from a plaintext keyfile.
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { cryptoReady } from "../bittensor/signing.js";
import { keypairFromKeyfile, parseKeyfileJson } from "./keyfile.js";
import { isNaclEncrypted, legacyEncryption } from "./nacl.js";
import { Wallet, WalletError, type WalletOptions } from "./wallet.js";

/** Upper bound on entries read from one folder: a wallets folder is small, a wrong --wallet.path may not be. */
const MAX_ENTRIES = 10_000;

export interface KeyInfo {
  /** ss58 address, or null when no readable file gives it. */
  address: string | null;
  /** The secret keyfile exists. */
  present: boolean;
  /** The secret keyfile is `$NACL` (or legacy) encrypted; null when it is absent. */
  encrypted: boolean | null;
  file: string;
  /** Why the address is unknown, when it is. */
  problem?: string;
}

export interface HotkeyInfo extends KeyInfo {
  name: string;
}

export interface WalletInfo {
  name: string;
  dir: string;
  coldkey: KeyInfo;
  hotkeys: HotkeyInfo[];
}

async function readSmall(file: string): Promise<Buffer | null> {
  try {
    const st = await stat(file);
    if (!st.isFile() || st.size > 1 << 20) return null;
    return await readFile(file);
  } catch {
    return null;
  }
}

/** The address a public file or a plaintext keyfile states (checked against its secret when it has one). */
async function addressOf(file: string): Promise<{ address: string | null; problem?: string }> {
  const data = await readSmall(file);
  if (!data) return { address: null, problem: "missing" };
  if (isNaclEncrypted(data) || legacyEncryption(data)) return { address: null, problem: "encrypted" };
  try {
    return { address: keypairFromKeyfile(parseKeyfileJson(data.toString("utf8"))).keypair.address };
  } catch (e) {
    return { address: null, problem: (e as Error).message };
  }
}

async function keyInfo(secretFile: string, pubFile: string): Promise<KeyInfo> {
  const data = await readSmall(secretFile);
  const encrypted = data ? isNaclEncrypted(data) || legacyEncryption(data) !== null : null;
  const fromPub = await addressOf(pubFile);
  const fromSecret = fromPub.address || encrypted !== false ? null : await addressOf(secretFile);
  const address = fromPub.address ?? fromSecret?.address ?? null;
  const info: KeyInfo = { address, present: data !== null, encrypted, file: secretFile };
  if (!address) info.problem = data === null && fromPub.problem === "missing" ? "no keyfile" : `${path.basename(pubFile)}: ${fromPub.problem}`;
  return info;
}

/** One wallet's coldkey and every hotkey in its hotkeys/ folder. */
export async function describeWallet(opts: WalletOptions): Promise<WalletInfo> {
  await cryptoReady();
  const w = new Wallet(opts);
  const coldkey = await keyInfo(w.coldkeyFile, w.coldkeypubFile);
  const hotDir = path.join(w.dir, "hotkeys");
  let names: string[] = [];
  try {
    names = (await readdir(hotDir, { withFileTypes: true }))
      .slice(0, MAX_ENTRIES)
      .filter((e) => e.isFile() && !e.name.endsWith("pub.txt") && !e.name.startsWith("."))
      .map((e) => e.name)
      .sort();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new WalletError(`cannot read the hotkeys folder: ${(e as Error).message}`, hotDir);
  }
  const hotkeys: HotkeyInfo[] = [];
  for (const name of names) {
    const hw = new Wallet({ ...opts, hotkey: name });
    hotkeys.push({ name, ...(await keyInfo(hw.hotkeyFile, hw.hotkeypubFile)) });
  }
  return { name: w.name, dir: w.dir, coldkey, hotkeys };
}

/** Every wallet (a sub-folder holding a coldkey, coldkeypub.txt or hotkeys/) under `root`, sorted by name. */
export async function listWallets(root: string): Promise<WalletInfo[]> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return [];
    throw new WalletError(`cannot read the wallets folder: ${code ?? String(e)}`, root);
  }
  const out: WalletInfo[] = [];
  for (const e of entries.slice(0, MAX_ENTRIES).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!e.isDirectory() || e.name.startsWith(".")) continue;
    const dir = path.join(root, e.name);
    const looksLikeWallet = (await Promise.all(["coldkey", "coldkeypub.txt", "hotkeys"].map((f) => stat(path.join(dir, f)).then(() => true, () => false)))).some(Boolean);
    if (looksLikeWallet) out.push(await describeWallet({ name: e.name, path: root }));
  }
  return out;
}
