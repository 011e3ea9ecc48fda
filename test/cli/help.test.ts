// The `condense` help tree and exit codes: every command module is registered, every command and subcommand has a
// description and answers --help, and the three exit codes mean what docs/cli.md says.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import yargs, { type CommandModule } from "yargs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { condense, root } from "./helpers.js";

const modules = readdirSync(path.join(root, "ts/cli/commands")).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"));
const nameOf = (c: CommandModule) => String(Array.isArray(c.command) ? c.command[0] : c.command).split(" ")[0]!;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), "condense-cli-help-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `condense <path> --help` for one command module, in this process (no handler runs for --help). */
function helpOf(mod: CommandModule, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    yargs()
      .scriptName("condense")
      .command(mod)
      .strict()
      .wrap(null)
      .parse([...args, "--help"], {}, (err, _argv, output) => (err ? reject(err) : resolve(output)));
  });
}

/** The "Commands:" entries of a help text: [path words, description]. */
function subcommands(help: string): [string[], string][] {
  const block = help.split(/\n\s*\n/).find((b) => b.startsWith("Commands:"));
  if (!block) return [];
  return block
    .split("\n")
    .slice(1)
    .map((l) => l.trim().split(/\s{2,}/))
    .map(([sig, desc]) => [sig!.split(" ").slice(1).filter((w) => !/^[<[]/.test(w)), desc ?? ""]);
}

describe("condense --help", () => {
  it("lists every command module and the exit codes", async () => {
    const r = await condense(["--help"]);
    expect(r.exitCode).toBe(0);
    for (const f of modules) {
      const mod = (await import(path.join(root, "ts/cli/commands", f))) as { command: CommandModule };
      expect(r.stdout, `${f} is not registered in ts/cli/main.ts`).toMatch(new RegExp(`^\\s+condense ${nameOf(mod.command)}\\b`, "m"));
    }
    expect(r.stdout).toContain("Exit codes: 0");
    expect(r.stdout).toContain("docs/cli.md");
  }, 120_000);

  it("every command and subcommand has a description and answers --help", async () => {
    const seen: string[] = [];
    for (const f of modules) {
      const mod = ((await import(path.join(root, "ts/cli/commands", f))) as { command: CommandModule }).command;
      expect(typeof mod.describe === "string" && mod.describe.length >= 10, `${f}: describe`).toBe(true);
      const walk = async (words: string[]) => {
        const help = await helpOf(mod, words);
        expect(help, `condense ${words.join(" ")} --help`).toMatch(new RegExp(`^condense ${words.join(" ")}\\b`));
        seen.push(words.join(" "));
        for (const [sub, desc] of subcommands(help)) {
          if (sub.length <= words.length) continue;
          expect(desc.length, `condense ${sub.join(" ")}: description`).toBeGreaterThanOrEqual(10);
          await walk(sub);
        }
      };
      await walk([nameOf(mod)]);
    }
    // The tree the docs describe is there (a sample from each group).
    for (const p of ["wallet create", "wallet list", "wallet show", "wallet regen", "config print miner", "config print validator", "validator keys"]) expect(seen).toContain(p);
  }, 120_000);

  it("the wallet and config commands show examples", async () => {
    const { command: wallet } = (await import("../../ts/cli/commands/wallet.js")) as { command: CommandModule };
    const { command: config } = (await import("../../ts/cli/commands/config.js")) as { command: CommandModule };
    for (const sub of ["create", "regen", "list", "show"]) expect(await helpOf(wallet, ["wallet", sub]), sub).toContain("Examples:");
    expect(await helpOf(config, ["config", "print", "miner"])).toContain("Examples:");
  });
});

describe("exit codes", () => {
  it("2 for usage errors (unknown command, failed check, missing subcommand), 1 for a runtime failure", async () => {
    const notDir = path.join(dir, "a-file");
    writeFileSync(notDir, "x");
    const [unknown, check, missing, failure] = await Promise.all([
      condense(["nosuch"]),
      condense(["localnet", "--workers", "0"]),
      condense(["wallet"]),
      condense(["wallet", "create", "--unencrypted", "--wallet.path", path.join(notDir, "sub")]),
    ]);
    expect(unknown.exitCode).toBe(2);
    expect(check.exitCode).toBe(2);
    expect(check.stderr).toContain("--workers must be a positive integer");
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("name a wallet command");
    expect(failure.exitCode).toBe(1);
    expect(failure.stderr).toContain(notDir); // the message names the path at fault
    expect(failure.stderr).not.toMatch(/\n\s+at /);
  }, 180_000);
});
