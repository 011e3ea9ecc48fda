// `condense` CLI: each subcommand lives in its own module under ./commands and exports a yargs CommandModule.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import type { CommandModule } from "yargs";
import { EXIT, isUsageError } from "./errors.js";

// Listed explicitly (not discovered) so a missing module is a load error, not a silently absent command.
const commandModules = ["config", "demo", "eval", "localnet", "miner", "train", "validator", "wallet"] as const;

/**
 * The modules to load: only the named command's when the first word is one (each module's static imports cost
 * seconds of start-up on a small machine), else all of them (the root help, a typo to recommend a command for).
 */
async function loadCommands(argv: readonly string[]): Promise<CommandModule[]> {
  const first = argv.find((a) => !a.startsWith("-"));
  const names = commandModules.filter((n) => n === first);
  const out: CommandModule[] = [];
  for (const name of names.length ? names : commandModules) {
    const mod = (await import(`./commands/${name}.js`)) as { command: CommandModule };
    out.push(mod.command);
  }
  return out;
}

const EPILOGUE = `Exit codes: 0 done (a service stopped by Ctrl-C or SIGTERM included); 1 a runtime failure (worker, chain,
storage, I/O); 2 the invocation must change (bad flag, config value or input, a start-up refusal): the message says what
to fix. A job cut short by a signal (eval, train) exits 130 or 143; train exits 3 when its worker does not start.
Every command takes --help. Docs: docs/cli.md.`;

export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  let cli = yargs(argv)
    .scriptName("condense")
    .usage("$0 <command> [options]\n\nThe Neural Condense subnet: miner, validator, a local subnet, training and wallets.")
    .strict()
    .demandCommand(1, "name a command (see --help)")
    .recommendCommands()
    .help()
    .alias("help", "h")
    .version()
    .wrap(Math.min(120, process.stdout.columns || 120))
    .example("$0 localnet --duration 600", "a whole subnet on this machine for 10 minutes")
    .example("$0 wallet create --wallet.name miner", "a btcli-compatible coldkey and hotkey")
    .example("$0 config print miner --axon.port 8095", "the miner's effective config and where each value came from")
    .epilogue(EPILOGUE)
    .fail((msg, err, y) => {
      // yargs passes a message for usage errors (unknown flag, failed check, missing argument) and only an error
      // for a failure inside a command's handler: that one goes to the catch below.
      if (msg === null || msg === undefined) throw err;
      y.showHelp();
      process.stderr.write(`\nerror: ${msg}\n`);
      process.exit(EXIT.usage);
    });
  for (const c of await loadCommands(argv)) cli = cli.command(c);
  await cli.parseAsync();
}

await main().catch((err: unknown) => {
  const e = err as Error;
  process.stderr.write(`error: ${e?.message ?? String(err)}\n`);
  if (isUsageError(err)) process.exit(EXIT.usage);
  if (process.env["CONDENSE_DEBUG"] && e?.stack) process.stderr.write(`${e.stack}\n`);
  process.exit(EXIT.failure);
});
