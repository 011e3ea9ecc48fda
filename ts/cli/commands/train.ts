// `condense train`: trains a soft-token condenser in a Python worker (see docs/trainer.md).
import type { CommandModule } from "yargs";
import { addOptions } from "../../config/options.js";
import { ConfigError } from "../../config/resolve.js";
import { TRAIN_OPTIONS, resolveTrainConfig } from "../../train/config.js";

export const command: CommandModule = {
  command: "train",
  describe: "train a soft-token condenser (LoRA condenser LM + projection into a frozen decoder)",
  builder: (y) =>
    addOptions(y, TRAIN_OPTIONS)
      .option("threads", {
        type: "number",
        describe: "torch threads for the training worker on CPU (default: every core)",
      })
      .example("condense train --procedural_only --condenser_model tiny:llama --decoder_model tiny:llama --max_steps 20 --output out/", "a quick run on procedural tasks"),
  handler: async (argv) => {
    let cfg;
    try {
      cfg = resolveTrainConfig(argv as Record<string, unknown>);
    } catch (e) {
      if (e instanceof ConfigError) {
        process.stderr.write(`${e.message}\n`);
        process.exit(2);
      }
      throw e;
    }
    // Loaded after validation so a bad flag never pays for the worker layer.
    const threads = (argv as { threads?: unknown }).threads;
    if (threads !== undefined && (typeof threads !== "number" || !Number.isInteger(threads) || threads < 1)) {
      process.stderr.write("--threads must be a positive integer\n");
      process.exit(2);
    }
    const { runTraining, exitFor, EXIT } = await import("../../train/run.js");
    const abort = new AbortController();
    const stop = (signal: string) => abort.abort(new Error(`${signal} received`));
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
    try {
      const out = await runTraining(cfg, { signal: abort.signal, ...(threads ? { threads } : {}) });
      const f = out.final;
      process.stdout.write(
        `trained ${f.step}/${f.max_steps} steps: loss ${f.loss ?? "-"}, best val_loss ${f.val_loss ?? "-"}, ` +
          `val_accuracy ${f.val_accuracy ?? "-"}\ncheckpoint: ${f.checkpoint || "(none)"}\nlog: ${out.logPath}\n`,
      );
      process.exit(EXIT.ok);
    } catch (e) {
      const { code, message } = exitFor(e);
      process.stderr.write(`error: ${message}\n`);
      process.exit(code);
    }
  },
};
