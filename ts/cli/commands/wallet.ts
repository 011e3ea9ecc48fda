// `condense wallet`: btcli-format wallets (create, list, show, regen) under --wallet.path. Secrets never come
// from argv (they would show in `ps` and shell history): passwords from --password-file, CONDENSE_WALLET_PASSWORD
// or a hidden prompt; mnemonics from stdin, --mnemonic-file or a hidden prompt.
import { readFile } from "node:fs/promises";
import type { Argv, CommandModule } from "yargs";
import { z } from "zod";
import { BITTENSOR_OPTIONS, addOptions } from "../../config/options.js";
import { resolveConfig } from "../../config/resolve.js";
import { WalletSchema } from "../../config/schema.js";
import { UsageError } from "../errors.js";

const WALLET_OPTIONS = BITTENSOR_OPTIONS.filter((s) => s.key.startsWith("wallet."));
const WalletOnlySchema = z.object({ wallet: WalletSchema });
type WalletFlags = z.output<typeof WalletSchema>;

/** --wallet.* through the same resolver as every command (flag > env CONDENSE_WALLET_* > --config file > default). */
function walletFlags(argv: Record<string, unknown>): WalletFlags {
  return resolveConfig({ schema: WalletOnlySchema, specs: WALLET_OPTIONS, argv, env: process.env }).wallet;
}

/** The wallet the flags name; a bad name is a usage error. */
async function openWallet(flags: WalletFlags) {
  const { Wallet } = await import("../../wallet/index.js");
  return explain(async () => new Wallet(flags));
}

const withWallet = (y: Argv) => addOptions(y, WALLET_OPTIONS, "Wallet:").option("json", { type: "boolean", default: false, describe: "print JSON instead of text" });

const out = (s: string): void => void process.stdout.write(`${s}\n`);
const note = (s: string): void => void process.stderr.write(`${s}\n`);

/** Maps the wallet layer's typed errors to messages that say what to change (exit 2). */
async function explain<T>(f: () => Promise<T>): Promise<T> {
  const { WalletError, KeyError, KeyfileDecryptionError, PasswordUnavailableError } = await import("../../wallet/index.js");
  try {
    return await f();
  } catch (e) {
    if (e instanceof WalletError && e.message.startsWith("refusing to overwrite"))
      throw new UsageError(`${e.message}: pass --overwrite to replace it (the old key is lost unless you have its mnemonic), or choose another --wallet.name / --wallet.hotkey`);
    if (e instanceof KeyError && /mnemonic/.test(e.message))
      throw new UsageError("the mnemonic is not a valid BIP39 phrase: check the words, their order and their count (12, 15, 18, 21 or 24)");
    if (e instanceof WalletError || e instanceof KeyError || e instanceof PasswordUnavailableError || e instanceof KeyfileDecryptionError) throw new UsageError(e.message);
    const io = e as NodeJS.ErrnoException;
    if (io.code && io.syscall && io.path) throw new Error(`${io.syscall} ${io.path} failed (${io.code}): check --wallet.path and the folder's permissions`, { cause: e });
    throw e;
  }
}

/** The new coldkey's password: --unencrypted, --password-file, CONDENSE_WALLET_PASSWORD, or a prompt on a terminal. */
async function newPassword(a: { unencrypted?: boolean; "password-file"?: string }): Promise<string | undefined> {
  const { WALLET_PASSWORD_ENV, readPasswordFile, promptNewPassword } = await import("../../wallet/index.js");
  if (a.unencrypted) {
    if (a["password-file"]) throw new UsageError("--unencrypted and --password-file contradict each other: pass one");
    note("warning: the coldkey is written UNENCRYPTED (--unencrypted): anyone who can read the file can spend from it");
    return undefined;
  }
  if (a["password-file"]) return readPasswordFile(a["password-file"]);
  const env = process.env[WALLET_PASSWORD_ENV];
  if (env) return env;
  if (process.stdin.isTTY) return promptNewPassword("the coldkey");
  throw new UsageError(
    `no password for the coldkey: pass --password-file FILE, set ${WALLET_PASSWORD_ENV}, run on a terminal to be asked, or pass --unencrypted (not recommended)`,
  );
}

const MAX_MNEMONIC_BYTES = 4096;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of process.stdin as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_MNEMONIC_BYTES) throw new UsageError(`stdin holds more than ${MAX_MNEMONIC_BYTES} bytes; it should hold only the mnemonic`);
    chunks.push(c);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** The mnemonic from --mnemonic-file (`-` = stdin), else piped stdin, else a hidden prompt. */
async function mnemonicInput(file: string | undefined): Promise<string> {
  let text: string;
  if (file && file !== "-") {
    try {
      text = (await readFile(file)).subarray(0, MAX_MNEMONIC_BYTES + 1).toString("utf8");
    } catch (e) {
      throw new UsageError(`cannot read --mnemonic-file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
    if (text.length > MAX_MNEMONIC_BYTES) throw new UsageError(`--mnemonic-file ${file} is larger than ${MAX_MNEMONIC_BYTES} bytes; it should hold only the mnemonic`);
  } else if (file === "-" || !process.stdin.isTTY) {
    text = await readStdin();
  } else {
    const { promptPassword } = await import("../../wallet/index.js");
    text = await promptPassword("Mnemonic (hidden)");
  }
  if (!text.trim()) throw new UsageError("no mnemonic given: pipe it on stdin or pass --mnemonic-file FILE (never on the command line)");
  return text;
}

const create: CommandModule = {
  command: "create",
  describe: "create a coldkey (encrypted) with coldkeypub.txt and a hotkey, in btcli's format; prints the mnemonics once",
  builder: (y) =>
    withWallet(y)
      .option("only", { choices: ["coldkey", "hotkey"] as const, describe: "create just one of the two (e.g. another hotkey in an existing wallet)" })
      .option("n-words", { type: "number", default: 12, choices: [12, 15, 18, 21, 24], describe: "mnemonic length" })
      .option("password-file", { type: "string", describe: "file whose first line is the coldkey password" })
      .option("unencrypted", { type: "boolean", default: false, describe: "write the coldkey without a password (not recommended)" })
      .option("overwrite", { type: "boolean", default: false, describe: "replace existing keyfiles" })
      .example("CONDENSE_WALLET_PASSWORD=... condense wallet create --wallet.name miner", "coldkey 'miner' and its hotkey 'default'")
      .example("condense wallet create --only hotkey --wallet.name miner --wallet.hotkey h2", "another hotkey in an existing wallet")
      .example("condense wallet create --password-file pw.txt --wallet.path ./wallets", "a wallet in another folder"),
  handler: async (argv) => {
    const a = argv as unknown as { only?: "coldkey" | "hotkey"; "n-words": 12 | 15 | 18 | 21 | 24; "password-file"?: string; unencrypted: boolean; overwrite: boolean; json: boolean };
    const flags = walletFlags(argv as Record<string, unknown>);
    const w = await openWallet(flags);
    const coldkey = a.only !== "hotkey";
    const hotkey = a.only !== "coldkey";
    const password = coldkey ? await explain(() => newPassword(a)) : undefined;
    const made = await explain(() => w.create({ coldkey, hotkey, overwrite: a.overwrite, words: a["n-words"], ...(password ? { coldkeyPassword: password } : {}) }));
    const report = {
      wallet: w.name,
      dir: w.dir,
      ...(made.coldkey ? { coldkey: { address: made.coldkey.address, file: w.coldkeyFile, encrypted: Boolean(password), mnemonic: made.coldkeyMnemonic } } : {}),
      ...(made.hotkey ? { hotkey: { name: w.hotkeyName, address: made.hotkey.address, file: w.hotkeyFile, mnemonic: made.hotkeyMnemonic } } : {}),
    };
    if (a.json) return out(JSON.stringify(report, null, 2));
    if (report.coldkey) out(`coldkey  ${report.coldkey.address}  ${password ? "encrypted" : "UNENCRYPTED"}  ${report.coldkey.file}`);
    if (report.hotkey) out(`hotkey   ${report.hotkey.address}  ${report.hotkey.name}  ${report.hotkey.file}`);
    out("");
    out("Write these mnemonics down and keep them offline: they are the only way to restore the keys (condense wallet regen).");
    if (report.coldkey) out(`coldkey mnemonic: ${report.coldkey.mnemonic}`);
    if (report.hotkey) out(`hotkey mnemonic:  ${report.hotkey.mnemonic}`);
  },
};

const list: CommandModule = {
  command: "list",
  describe: "every wallet under --wallet.path with its coldkey and hotkeys (ss58 addresses; nothing is decrypted)",
  builder: (y) => withWallet(y).example("condense wallet list --wallet.path ./wallets --json", "as JSON"),
  handler: async (argv) => {
    const a = argv as unknown as { json: boolean };
    const flags = walletFlags(argv as Record<string, unknown>);
    const { listWallets } = await import("../../wallet/index.js");
    const root = (await openWallet(flags)).root;
    const wallets = await explain(() => listWallets(root));
    if (a.json) return out(JSON.stringify({ path: root, wallets }, null, 2));
    if (!wallets.length) return out(`no wallets under ${root} (create one with condense wallet create, or point --wallet.path elsewhere)`);
    out(`wallets in ${root}`);
    for (const w of wallets) {
      out(`${w.name}  coldkey ${w.coldkey.address ?? `? (${w.coldkey.problem})`}${w.coldkey.encrypted ? "  encrypted" : ""}`);
      const pad = Math.max(0, ...w.hotkeys.map((h) => h.name.length));
      w.hotkeys.forEach((h, i) => out(`  ${i === w.hotkeys.length - 1 ? "└─" : "├─"} ${h.name.padEnd(pad)}  ${h.address ?? `? (${h.problem})`}`));
    }
  },
};

const show: CommandModule = {
  command: "show",
  describe: "the ss58 addresses of one wallet's coldkey and hotkey (--wallet.name, --wallet.hotkey)",
  builder: (y) => withWallet(y).example("condense wallet show --wallet.name miner --wallet.hotkey default", "the addresses a miner registers with"),
  handler: async (argv) => {
    const a = argv as unknown as { json: boolean };
    const flags = walletFlags(argv as Record<string, unknown>);
    const { describeWallet } = await import("../../wallet/index.js");
    const w = await openWallet(flags);
    const info = await explain(() => describeWallet(flags));
    const hot = info.hotkeys.find((h) => h.name === w.hotkeyName);
    if (!info.coldkey.present && !info.coldkey.address && !info.hotkeys.length)
      throw new UsageError(`no wallet '${w.name}' under ${w.root}: see condense wallet list, or create it with condense wallet create --wallet.name ${w.name}`);
    if (a.json) return out(JSON.stringify({ wallet: info.name, dir: info.dir, coldkey: info.coldkey, hotkey: hot ?? { name: w.hotkeyName, address: null, present: false, file: w.hotkeyFile, problem: "no keyfile" } }, null, 2));
    out(`wallet   ${info.name}  ${info.dir}`);
    out(`coldkey  ${info.coldkey.address ?? `? (${info.coldkey.problem})`}${info.coldkey.encrypted ? "  encrypted" : info.coldkey.present ? "  unencrypted" : "  (public key only)"}`);
    if (hot) out(`hotkey   ${hot.address ?? `? (${hot.problem})`}  ${hot.name}`);
    else out(`hotkey   none named '${w.hotkeyName}'${info.hotkeys.length ? ` (this wallet has: ${info.hotkeys.map((h) => h.name).join(", ")})` : ""}; create it with condense wallet create --only hotkey --wallet.name ${w.name} --wallet.hotkey ${w.hotkeyName}`);
  },
};

const regen: CommandModule = {
  command: "regen <key>",
  describe: "rebuild a coldkey or hotkey from its mnemonic (stdin or --mnemonic-file, never argv), or coldkeypub.txt from an address",
  builder: (y) =>
    withWallet(y)
      .positional("key", { choices: ["coldkey", "hotkey", "coldkeypub"] as const, describe: "which key to write" })
      .option("mnemonic-file", { type: "string", describe: "file holding the mnemonic (- = stdin; default: stdin when piped, else a hidden prompt)" })
      .option("ss58", { type: "string", describe: "coldkeypub: the coldkey's ss58 address (or 0x public key)" })
      .option("password-file", { type: "string", describe: "coldkey: file whose first line is the new password" })
      .option("unencrypted", { type: "boolean", default: false, describe: "coldkey: write it without a password (not recommended)" })
      .option("overwrite", { type: "boolean", default: false, describe: "replace existing keyfiles" })
      .example("condense wallet regen coldkey --wallet.name miner < mnemonic.txt", "coldkey and coldkeypub.txt from a mnemonic on stdin")
      .example("condense wallet regen hotkey --wallet.name miner --wallet.hotkey h1 --mnemonic-file hk.txt", "a hotkey from a file")
      .example("condense wallet regen coldkeypub --wallet.name miner --ss58 5F...", "only the public part (a machine that never signs with the coldkey)"),
  handler: async (argv) => {
    const a = argv as unknown as { key: "coldkey" | "hotkey" | "coldkeypub"; "mnemonic-file"?: string; ss58?: string; "password-file"?: string; unencrypted: boolean; overwrite: boolean; json: boolean };
    const flags = walletFlags(argv as Record<string, unknown>);
    const { Keypair } = await import("../../wallet/index.js");
    const w = await openWallet(flags);
    let address: string;
    let file: string;
    if (a.key === "coldkeypub") {
      if (!a.ss58) throw new UsageError("regen coldkeypub needs --ss58 ADDRESS (the coldkey's ss58 address or 0x public key)");
      const { decodeAddress } = await import("@polkadot/util-crypto");
      let pub: Uint8Array;
      try {
        pub = decodeAddress(a.ss58);
      } catch {
        throw new UsageError(`--ss58 ${a.ss58} is neither an ss58 address nor a 0x-prefixed 32-byte public key`);
      }
      const kp = Keypair.fromPublicKey(pub);
      await explain(async () => {
        if (!a.overwrite) {
          const { stat } = await import("node:fs/promises");
          if (await stat(w.coldkeypubFile).then(() => true, () => false)) throw new UsageError(`refusing to overwrite an existing key (${w.coldkeypubFile}): pass --overwrite to replace it`);
        }
        await w.writeColdkeypub(kp, { overwrite: a.overwrite });
      });
      [address, file] = [kp.address, w.coldkeypubFile];
    } else {
      if (a.ss58) throw new UsageError("--ss58 is for regen coldkeypub; a coldkey or hotkey comes from its mnemonic");
      const phrase = await mnemonicInput(a["mnemonic-file"]);
      // Validate before asking for a password, so a typo does not cost a prompt.
      const kp = await explain(async () => Keypair.fromMnemonic(phrase));
      const password = a.key === "coldkey" ? await explain(() => newPassword(a)) : undefined;
      await explain(() => w.regenerate(a.key as "coldkey" | "hotkey", phrase, { overwrite: a.overwrite, ...(password ? { password } : {}) }));
      [address, file] = [kp.address, a.key === "coldkey" ? w.coldkeyFile : w.hotkeyFile];
    }
    if (a.json) return out(JSON.stringify({ wallet: w.name, key: a.key, address, file }, null, 2));
    out(`${a.key}  ${address}  ${file}`);
  },
};

export const command: CommandModule = {
  command: "wallet",
  describe: "btcli-compatible wallets: create, list, show, regen (files under --wallet.path, default ~/.bittensor/wallets)",
  builder: (y) => y.command(create).command(list).command(show).command(regen).demandCommand(1, "name a wallet command: create, list, show or regen"),
  handler: () => undefined,
};
