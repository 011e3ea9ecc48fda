// `condense miner`: serve compression on the axon (see docs/miner.md).
import type { CommandModule } from "yargs";
import { addOptions } from "../../config/options.js";
import { ConfigError, resolveConfig } from "../../config/resolve.js";
import { MINER_OPTIONS, MinerConfigSchema } from "../../miner/config.js";
import { StartupError } from "../../neuron/errors.js";
import { withAwsCredentialFallback } from "../../storage/config.js";

export const command: CommandModule = {
  command: "miner",
  describe: "run a miner: compress contexts into signed KV containers for validators",
  builder: (y) =>
    addOptions(y, MINER_OPTIONS)
      .example("condense miner --wallet.name miner --axon.external_ip 203.0.113.5 --miner.tiers research", "serve the research tier on finney")
      .example("condense miner --config miner.json", "flags from a JSON file (see: condense config print miner --config miner.json)"),
  handler: async (argv) => {
    let cfg;
    try {
      cfg = resolveConfig({ schema: MinerConfigSchema, specs: MINER_OPTIONS, argv: argv as Record<string, unknown>, env: withAwsCredentialFallback(process.env) });
    } catch (e) {
      if (e instanceof ConfigError) {
        process.stderr.write(`${e.message}\n`);
        process.exit(2);
      }
      throw e;
    }
    const { startMiner } = await import("../../miner/miner.js");
    let miner;
    try {
      miner = await startMiner(cfg);
    } catch (e) {
      // Start-up refusals carry what to fix: no stack trace needed.
      if (e instanceof ConfigError || e instanceof StartupError) {
        process.stderr.write(`error: ${e.message}\n`);
        process.exit(2);
      }
      throw e;
    }
    const stop = async (signal: string) => {
      miner.service.log.info({ signal }, "stopping");
      await miner.stop();
      process.exit(0);
    };
    process.once("SIGINT", () => void stop("SIGINT"));
    process.once("SIGTERM", () => void stop("SIGTERM"));
  },
};
