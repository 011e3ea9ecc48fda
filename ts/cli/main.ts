// `condense` CLI: each subcommand lives in its own module under ./commands and exports a yargs CommandModule.
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import type { CommandModule } from "yargs";

// Listed explicitly (not discovered) so a missing module is a load error, not a silently absent command.
const commandModules = ["demo", "localnet", "miner", "train", "validator"] as const;

async function loadCommands(): Promise<CommandModule[]> {
  const out: CommandModule[] = [];
  for (const name of commandModules) {
    const mod = (await import(`./commands/${name}.js`)) as { command: CommandModule };
    out.push(mod.command);
  }
  return out;
}

export async function main(argv: string[] = hideBin(process.argv)): Promise<void> {
  let cli = yargs(argv)
    .scriptName("condense")
    .strict()
    .demandCommand(1, "name a command (see --help)")
    .recommendCommands()
    .help()
    .fail((msg, err, y) => {
      if (err) throw err;
      y.showHelp();
      process.stderr.write(`\nerror: ${msg}\n`);
      process.exit(2);
    });
  for (const c of await loadCommands()) cli = cli.command(c);
  await cli.parseAsync();
}

await main().catch((err: unknown) => {
  const e = err as Error;
  process.stderr.write(`error: ${e?.message ?? String(err)}\n`);
  process.exit(1);
});
