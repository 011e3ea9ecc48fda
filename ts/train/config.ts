// `condense train` configuration: flags, CONDENSE_* environment and a JSON file, validated by one zod schema.
// Keys match the TrainRequest fields (docs/trainer.md), so a config file reads like the request it becomes.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { OptionSpec } from "../config/options.js";
import { ConfigError, resolveConfig } from "../config/resolve.js";

export const OBJECTIVES = ["reconstruction", "continuation", "mixed"] as const;

export const TRAIN_OPTIONS: readonly OptionSpec[] = [
  { key: "data", type: "string", describe: "training text: a file or directory of .txt/.md files, or hf:NAME (needs a hub); procedural tasks are always mixed in" },
  { key: "procedural_only", type: "boolean", describe: "train on procedural tasks only (no --data needed)" },
  { key: "output", type: "string", describe: "output directory: best/ (the condenser checkpoint), last.ckpt, train.jsonl" },
  { key: "resume", type: "string", describe: "resume from a training output directory, a .ckpt file, or warm-start from a condenser checkpoint" },
  { key: "condenser_model", type: "string", describe: "condenser LM spec (tiny:llama, smollm2, a local model directory)" },
  { key: "decoder_model", type: "string", describe: "frozen decoder spec the soft tokens are made for" },
  { key: "num_tokens", type: "number", describe: "N: learned condense tokens = soft tokens per context" },
  { key: "last_k", type: "number", describe: "hidden states of the last k condenser layers are concatenated" },
  { key: "lora_rank", type: "number", describe: "LoRA rank of the condenser adapter (0 = no adapter)" },
  { key: "lr", type: "number", describe: "learning rate of the LoRA adapter" },
  { key: "lr_projection", type: "number", describe: "learning rate of the condense tokens, LayerNorm and projection" },
  { key: "max_steps", type: "number", describe: "optimizer steps in total (a resumed run continues up to this)" },
  { key: "batch_size", type: "number", describe: "samples per step" },
  { key: "context_tokens", type: "number", describe: "contexts are cut to this many condenser tokens" },
  { key: "objective", type: "string", describe: "reconstruction, continuation (incl. answering) or mixed", choices: OBJECTIVES },
  { key: "val_every", type: "number", describe: "validate (loss and generated answers) every this many steps" },
  { key: "seed", type: "number", describe: "seed of the data stream and initialisation" },
  { key: "gradient_checkpointing", type: "boolean", describe: "trade compute for memory in condenser and decoder" },
  { key: "device", type: "string", describe: "worker device: cpu or cuda[:N] (bf16 on GPU, fp32 on CPU)" },
  { key: "log", type: "string", describe: "JSONL metrics log (default <output>/train.jsonl)" },
  { key: "progress", type: "boolean", describe: "show a progress bar on a terminal (default true)" },
  { key: "python", type: "string", describe: "Python interpreter of the worker (default .venv/bin/python)" },
];

const posInt = z.number().int().positive();
const nonNegInt = z.number().int().nonnegative();
const rate = z.number().gt(0).lt(1);

export const TrainConfigSchema = z
  .object({
    data: z.string().min(1).optional(),
    procedural_only: z.boolean().default(false),
    output: z.string().min(1, "an output directory is required"),
    resume: z.string().min(1).optional(),
    condenser_model: z.string().min(1).default("smollm2"),
    decoder_model: z.string().min(1).default("smollm2"),
    num_tokens: posInt.max(4096).default(16),
    last_k: posInt.max(128).default(2),
    lora_rank: nonNegInt.max(1024).default(8),
    lr: rate.default(1e-4),
    lr_projection: rate.default(1e-3),
    max_steps: posInt.default(200),
    batch_size: posInt.max(1024).default(1),
    context_tokens: posInt.max(131072).default(256),
    objective: z.enum(OBJECTIVES).default("mixed"),
    val_every: posInt.default(50),
    seed: nonNegInt.max(2 ** 32 - 1).default(0),
    gradient_checkpointing: z.boolean().default(false),
    device: z.string().regex(/^(cpu|cuda(:\d+)?)$/, "must be cpu, cuda or cuda:N").default("cpu"),
    log: z.string().min(1).optional(),
    progress: z.boolean().default(true),
    python: z.string().min(1).optional(),
  })
  .strict()
  .refine((c) => c.data !== undefined || c.procedural_only, {
    message: "no training data: pass --data FILE|DIR|hf:NAME, or --procedural_only to train on procedural tasks alone",
    path: ["data"],
  });

export type TrainConfig = z.output<typeof TrainConfigSchema>;

/** Resolves and validates the configuration; throws ConfigError naming every bad key, value and source. */
export function resolveTrainConfig(argv: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): TrainConfig {
  const cfg = resolveConfig({ schema: TrainConfigSchema, specs: TRAIN_OPTIONS, argv, env });
  checkPaths(cfg);
  return cfg;
}

/** Paths are checked here, before any worker starts, so a typo costs nothing. */
export function checkPaths(cfg: TrainConfig): void {
  const issues = [];
  if (cfg.data !== undefined && !cfg.data.startsWith("hf:") && !existsSync(cfg.data)) {
    issues.push({ key: "data", message: "data path does not exist", value: cfg.data });
  }
  if (cfg.resume !== undefined && !existsSync(cfg.resume)) {
    issues.push({ key: "resume", message: "resume path does not exist", value: cfg.resume });
  }
  if (existsSync(cfg.output) && !statSync(cfg.output).isDirectory()) {
    issues.push({ key: "output", message: "output exists and is not a directory", value: cfg.output });
  }
  if (issues.length) throw new ConfigError(issues);
}

export function logPath(cfg: TrainConfig): string {
  return cfg.log ?? path.join(cfg.output, "train.jsonl");
}
