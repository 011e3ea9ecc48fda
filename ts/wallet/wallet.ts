// btcli wallet directories: <path>/<name>/coldkey, coldkeypub.txt, hotkeys/<hotkey>, hotkeys/<hotkey>pub.txt.
import { chmod, mkdir, readFile, stat, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { mnemonicGenerate, mnemonicToMiniSecret } from "@polkadot/util-crypto";
import { cryptoReady } from "../bittensor/signing.js";
import { Keypair } from "./keypair.js";
import { keypairFromKeyfile, keyfileJson, parseKeyfileJson, publicKeyfileJson, type KeySource } from "./keyfile.js";
import { decryptNacl, encryptNacl, isNaclEncrypted, legacyEncryption } from "./nacl.js";
import { passwordFromEnv, promptPassword } from "./password.js";

export const DEFAULT_WALLET_PATH = "~/.bittensor/wallets";

export class WalletError extends Error {
  override readonly name = "WalletError";
  constructor(
    message: string,
    readonly file?: string,
  ) {
    super(file ? `${message} (${file})` : message);
  }
}

export interface WalletOptions {
  name?: string;
  hotkey?: string;
  /** Folder holding wallets; `~` expands. Defaults: BT_WALLET_PATH, then ~/.bittensor/wallets. */
  path?: string;
}

export interface LoadedKey {
  keypair: Keypair;
  source: KeySource;
  file: string;
}

export function expandHome(p: string): string {
  return p === "~" || p.startsWith("~/") ? path.join(os.homedir(), p.slice(1)) : p;
}

export class Wallet {
  readonly name: string;
  readonly hotkeyName: string;
  readonly root: string;

  constructor(opts: WalletOptions = {}) {
    this.name = opts.name ?? process.env["BT_WALLET_NAME"] ?? "default";
    this.hotkeyName = opts.hotkey ?? process.env["BT_WALLET_HOTKEY"] ?? "default";
    for (const [what, v] of [["wallet name", this.name], ["hotkey name", this.hotkeyName]] as const) {
      if (!v || v.includes("/") || v === "." || v === "..") throw new WalletError(`invalid ${what} ${JSON.stringify(v)}`);
    }
    this.root = path.resolve(expandHome(opts.path ?? process.env["BT_WALLET_PATH"] ?? DEFAULT_WALLET_PATH));
  }

  get dir(): string {
    return path.join(this.root, this.name);
  }
  get coldkeyFile(): string {
    return path.join(this.dir, "coldkey");
  }
  get coldkeypubFile(): string {
    return path.join(this.dir, "coldkeypub.txt");
  }
  get hotkeyFile(): string {
    return path.join(this.dir, "hotkeys", this.hotkeyName);
  }
  get hotkeypubFile(): string {
    return path.join(this.dir, "hotkeys", `${this.hotkeyName}pub.txt`);
  }

  /** The hotkey (normally plaintext; a `$NACL` one needs a password like a coldkey). */
  async hotkey(password?: string): Promise<LoadedKey> {
    return loadKeyfile(this.hotkeyFile, password);
  }

  /** The coldkey's public part (coldkeypub.txt); never needs a password. */
  async coldkeypub(): Promise<LoadedKey> {
    return loadKeyfile(this.coldkeypubFile);
  }

  /** The coldkey; `$NACL` files take the password argument, then BT_PW_<PATH>, then a terminal prompt. */
  async coldkey(password?: string): Promise<LoadedKey> {
    return loadKeyfile(this.coldkeyFile, password);
  }

  /**
   * Creates a new coldkey and/or hotkey in btwallet's format (0600 files, 0700 folders). The coldkey is `$NACL`
   * encrypted when a password is given. Refuses to overwrite an existing file unless `overwrite` is set.
   */
  async create(opts: { coldkey?: boolean; hotkey?: boolean; coldkeyPassword?: string; overwrite?: boolean; words?: 12 | 15 | 18 | 21 | 24 } = {}): Promise<{ coldkey?: Keypair; hotkey?: Keypair; coldkeyMnemonic?: string; hotkeyMnemonic?: string }> {
    const out: { coldkey?: Keypair; hotkey?: Keypair; coldkeyMnemonic?: string; hotkeyMnemonic?: string } = {};
    await cryptoReady();
    // All-or-nothing: an existing hotkey must not leave a freshly written coldkey behind.
    const files = [...((opts.coldkey ?? true) ? [this.coldkeyFile, this.coldkeypubFile] : []), ...((opts.hotkey ?? true) ? [this.hotkeyFile, this.hotkeypubFile] : [])];
    if (!opts.overwrite) await refuseExisting(files);
    if (opts.coldkey ?? true) {
      const phrase = mnemonicGenerate(opts.words ?? 12);
      const kp = Keypair.fromMnemonic(phrase);
      const json = Buffer.from(keyfileJson(kp, { phrase, seed: mnemonicToMiniSecret(phrase) }));
      const body = opts.coldkeyPassword ? await encryptNacl(json, opts.coldkeyPassword) : json;
      await writeSecretFile(this.coldkeyFile, body, opts.overwrite);
      await writeSecretFile(this.coldkeypubFile, Buffer.from(publicKeyfileJson(kp)), opts.overwrite);
      out.coldkey = kp;
      out.coldkeyMnemonic = phrase;
    }
    if (opts.hotkey ?? true) {
      const phrase = mnemonicGenerate(opts.words ?? 12);
      const kp = Keypair.fromMnemonic(phrase);
      await writeSecretFile(this.hotkeyFile, Buffer.from(keyfileJson(kp, { phrase, seed: mnemonicToMiniSecret(phrase) })), opts.overwrite);
      await writeSecretFile(this.hotkeypubFile, Buffer.from(publicKeyfileJson(kp)), opts.overwrite);
      out.hotkey = kp;
      out.hotkeyMnemonic = phrase;
    }
    return out;
  }

  /**
   * Rebuilds the coldkey (coldkey + coldkeypub.txt) or the hotkey (hotkey + pub file) from its BIP39 mnemonic, as
   * btcli's `wallet regen_coldkey` / `regen_hotkey` do. The coldkey is `$NACL` encrypted when a password is given.
   */
  async regenerate(which: "coldkey" | "hotkey", mnemonic: string, opts: { password?: string; overwrite?: boolean } = {}): Promise<Keypair> {
    await cryptoReady();
    const phrase = mnemonic.trim().split(/\s+/).join(" ");
    const kp = Keypair.fromMnemonic(phrase);
    const [secretFile, pubFile] = which === "coldkey" ? [this.coldkeyFile, this.coldkeypubFile] : [this.hotkeyFile, this.hotkeypubFile];
    if (!opts.overwrite) await refuseExisting([secretFile, pubFile]);
    const json = Buffer.from(keyfileJson(kp, { phrase, seed: mnemonicToMiniSecret(phrase) }));
    const body = opts.password ? await encryptNacl(json, opts.password) : json;
    await writeSecretFile(secretFile, body, opts.overwrite);
    await writeSecretFile(pubFile, Buffer.from(publicKeyfileJson(kp)), opts.overwrite);
    return kp;
  }

  /** Writes coldkeypub.txt alone (a machine that only needs the coldkey's address), as btcli's `regen_coldkeypub`. */
  async writeColdkeypub(kp: Keypair, opts: { overwrite?: boolean } = {}): Promise<void> {
    await writeSecretFile(this.coldkeypubFile, Buffer.from(publicKeyfileJson(kp)), opts.overwrite);
  }

  /** Writes an existing keypair as this wallet's hotkey (e.g. `//Alice` on a localnet). */
  async writeHotkey(kp: Keypair, opts: { overwrite?: boolean } = {}): Promise<void> {
    await writeSecretFile(this.hotkeyFile, Buffer.from(keyfileJson(kp)), opts.overwrite);
    await writeSecretFile(this.hotkeypubFile, Buffer.from(publicKeyfileJson(kp)), opts.overwrite);
  }
}

/** Throws WalletError naming every file that already exists (the caller passes --overwrite to replace them). */
async function refuseExisting(files: readonly string[]): Promise<void> {
  const present: string[] = [];
  for (const f of files) {
    try {
      await stat(f);
      present.push(f);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
  }
  if (present.length) throw new WalletError(`refusing to overwrite an existing key`, present.join(", "));
}

async function writeSecretFile(file: string, data: Uint8Array, overwrite = false): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  try {
    await writeFile(file, data, { mode: 0o600, flag: overwrite ? "w" : "wx" });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") throw new WalletError("refusing to overwrite an existing key", file);
    throw e;
  }
  await chmod(file, 0o600); // mode is masked by umask on create
}

/** Loads one keyfile (plaintext JSON or `$NACL`) and builds its keypair. */
export async function loadKeyfile(file: string, password?: string): Promise<LoadedKey> {
  await cryptoReady();
  let data: Buffer;
  try {
    const st = await stat(file);
    if (!st.isFile()) throw new WalletError("keyfile is not a regular file", file);
    if (st.size > 1 << 20) throw new WalletError("keyfile is larger than 1 MiB", file);
    data = await readFile(file);
  } catch (e) {
    if (e instanceof WalletError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    throw new WalletError(code === "ENOENT" ? "keyfile not found" : `cannot read keyfile: ${code ?? String(e)}`, file);
  }
  let text: string;
  if (isNaclEncrypted(data)) {
    const pw = password ?? passwordFromEnv(file) ?? (await promptPassword(`Password for ${file}`));
    text = Buffer.from(await decryptNacl(data, pw)).toString("utf8");
  } else {
    const legacy = legacyEncryption(data);
    if (legacy) throw new WalletError(`keyfile uses the legacy ${legacy} encryption; re-encrypt it with btcli (wallet update)`, file);
    text = data.toString("utf8");
  }
  try {
    const { keypair, source } = keypairFromKeyfile(parseKeyfileJson(text));
    return { keypair, source, file };
  } catch (e) {
    throw new WalletError((e as Error).message, file);
  }
}
