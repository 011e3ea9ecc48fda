// Where a coldkey password comes from: the caller, btwallet's `BT_PW_<PATH>` environment variable, or a
// hidden prompt on a terminal. Never from config files.
import { createInterface } from "node:readline";

export class PasswordUnavailableError extends Error {
  override readonly name = "PasswordUnavailableError";
}

/** btwallet's env var name for a keyfile: the path with `/` and `.` as `_`, upper-cased, after `BT_PW_`. */
export function passwordEnvName(keyfilePath: string): string {
  return "BT_PW_" + keyfilePath.replace(/[/.]/g, "_").toUpperCase();
}

/** Decodes btwallet's obfuscation: base64(password XOR env-var-name bytes, repeated). */
export function decodeEnvPassword(envName: string, value: string): string {
  const data = Buffer.from(value, "base64");
  const key = Buffer.from(envName, "utf8");
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ key[i % key.length]!;
  return out.toString("utf8");
}

export function encodeEnvPassword(envName: string, password: string): string {
  const data = Buffer.from(password, "utf8");
  const key = Buffer.from(envName, "utf8");
  const out = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ key[i % key.length]!;
  return out.toString("base64");
}

export function passwordFromEnv(keyfilePath: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const name = passwordEnvName(keyfilePath);
  const v = env[name];
  return v ? decodeEnvPassword(name, v) : null;
}

/** Asks on the terminal without echo. Fails when stdin is not a TTY (services, CI). */
export async function promptPassword(question: string): Promise<string> {
  if (!process.stdin.isTTY) throw new PasswordUnavailableError(`${question}: no terminal to prompt on; set the BT_PW_* variable or pass the password`);
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  // Mute echo: readline writes typed characters through _writeToOutput.
  const rlAny = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WriteStream };
  let asked = false;
  rlAny._writeToOutput = (s: string) => {
    if (!asked) rlAny.output.write(s);
  };
  return new Promise((resolve) => {
    rl.question(`${question}: `, (answer) => {
      rl.close();
      process.stdout.write("\n");
      resolve(answer);
    });
    asked = true;
  });
}

/** The variable `condense wallet` reads a new coldkey's password from (never argv: it would show in `ps`). */
export const WALLET_PASSWORD_ENV = "CONDENSE_WALLET_PASSWORD";

/** A password kept in a file: the first line (a trailing newline is not part of it). */
export async function readPasswordFile(file: string): Promise<string> {
  const { readFile, stat } = await import("node:fs/promises");
  let text: string;
  try {
    if ((await stat(file)).size > 64 * 1024) throw new PasswordUnavailableError(`password file ${file} is larger than 64 KiB; it should hold one line`);
    text = await readFile(file, "utf8");
  } catch (e) {
    if (e instanceof PasswordUnavailableError) throw e;
    throw new PasswordUnavailableError(`cannot read password file ${file}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const pw = text.split(/\r?\n/)[0]!;
  if (!pw) throw new PasswordUnavailableError(`password file ${file} is empty; put the password on its first line`);
  return pw;
}

/** Asks twice on the terminal (hidden); refuses a mismatch or an empty password. */
export async function promptNewPassword(what: string): Promise<string> {
  const pw = await promptPassword(`New password for ${what}`);
  if (!pw) throw new PasswordUnavailableError("an empty password was entered; type one, or pass --no-password for an unencrypted key");
  if ((await promptPassword("Repeat the password")) !== pw) throw new PasswordUnavailableError("the two passwords differ; run the command again");
  return pw;
}
