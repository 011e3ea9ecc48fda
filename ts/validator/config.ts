// `condense validator` configuration: the shared bittensor flags, the shared worker options and --validator.*,
// validated by one schema at start (errors name the key, the value and its source). Every knob has its default
// here and its meaning in docs/validator.md.
import os from "node:os";
import path from "node:path";
import yargs from "yargs";
import { z } from "zod";
import { BITTENSOR_OPTIONS, addOptions, type OptionSpec } from "../config/options.js";
import { resolveConfig } from "../config/resolve.js";
import { BittensorConfigShape } from "../config/schema.js";
import { NEURON_WORKER_OPTIONS, NeuronWorkerShape } from "../neuron/options.js";
import { CHALLENGE_KINDS } from "./challenges/kinds.js";

export const VALIDATOR_OPTIONS: readonly OptionSpec[] = [
  ...BITTENSOR_OPTIONS,
  ...NEURON_WORKER_OPTIONS,
  { key: "validator.tiers_file", type: "string", describe: "tier table JSON (default: the built-in seed table, as in config/tiers.json)" },
  { key: "validator.state_path", type: "string", describe: "SQLite file holding scores, periods, challenges, results and pending commits" },
  { key: "validator.period_s", type: "number", describe: "scoring period, seconds (default: the tier table's scoring_period_s)" },
  { key: "validator.allow_private", type: "boolean", describe: "dial axons and download from loopback/private addresses (local networks only)" },
  { key: "validator.require_permit", type: "boolean", describe: "refuse to start without a validator permit (default: on for finney and test)" },
  { key: "validator.capacity_multiplier", type: "number", describe: "scales the share of each declared capacity tested per period (SN19 CAPACITY_TO_SCORE_MULTIPLIER)" },
  { key: "validator.max_queries_per_contender", type: "number", describe: "upper bound of synthetic challenges per contender per period" },
  { key: "validator.questions", type: "number", describe: "questions per challenge" },
  { key: "validator.challenge_kinds", type: "array", describe: "procedural task kinds to draw from (default: those the target model answers with the full cache)" },
  { key: "validator.corpus_dir", type: "string", describe: "folder of .txt/.md files for corpus QA challenges (questions and answers written by an LLM; default none: corpus QA off)" },
  { key: "validator.generator_model", type: "string", describe: "model that writes the corpus QA questions and answers (default: the worker model)" },
  { key: "validator.calibration_file", type: "string", describe: "JSON table of full-cache accuracy per model and task kind (default: measure at start-up)" },
  { key: "validator.min_full_accuracy", type: "number", describe: "a task kind is used only where the full cache answers at least this share" },
  { key: "validator.min_full_existence", type: "number", describe: "the existence check counts only where the full cache scores at least this on it" },
  { key: "validator.query_concurrency", type: "number", describe: "challenges in flight at once" },
  { key: "validator.download_concurrency", type: "number", describe: "container downloads at once" },
  { key: "validator.download_timeout_s", type: "number", describe: "time allowed for one container download, seconds (default: the tier's timeout)" },
  { key: "validator.eval_batch", type: "number", describe: "containers evaluated in one padded batch" },
  { key: "validator.top_fraction", type: "number", describe: "share of each tier's contenders, best first, that receive emissions" },
  { key: "validator.auth", type: "string", describe: "signed HTTP for calls to miners: bt10 (SDK 10 axon headers) or btauth1 (SDK 11)", choices: ["bt10", "btauth1"] },
  { key: "validator.allow_stand_in", type: "boolean", describe: "let --model differ from the tier's target model (tests, local networks); refused on finney and test" },
  { key: "validator.allow_private_downloads", type: "boolean", describe: "download containers from loopback/private addresses (default: --validator.allow_private)" },
  { key: "validator.metrics_port", type: "number", describe: "operations app (/metrics, /healthz) port on axon.ip (unset = off)" },
  { key: "validator.organic.port", type: "number", describe: "serve the organic API on this port (unset = off; `condense validator organic` runs it as its own process)" },
  { key: "validator.organic.host", type: "string", describe: "address the organic API binds to" },
  { key: "validator.organic.verify_share", type: "number", describe: "share of organic results verified and scored like synthetic ones" },
  { key: "validator.organic.timeout_s", type: "number", describe: "whole-request timeout of the organic API, seconds" },
  { key: "validator.organic.max_scoring", type: "number", describe: "sampled organic results quality-scored at once (organic QA through the workers); more are verified only" },
  { key: "validator.organic.scoring_queue", type: "number", describe: "sampled organic results waiting to be quality-scored; beyond it a sample is verified only (counted in a metric)" },
];

const defaultStatePath = (netuid: number) => path.join(os.homedir(), ".condense", "validator", `netuid${netuid}`, "state.db");
const share = z.number().gt(0).lte(1);

export const ValidatorSectionSchema = z
  .strictObject({
    tiers_file: z.string().min(1).optional(),
    state_path: z.string().min(1).optional(),
    period_s: z.number().int().min(10).max(86_400).optional(),
    allow_private: z.boolean().default(false),
    require_permit: z.boolean().optional(),
    capacity_multiplier: z.number().gt(0).max(100).default(1),
    max_queries_per_contender: z.number().int().min(1).max(10_000).default(32),
    questions: z.number().int().min(1).max(32).default(3),
    challenge_kinds: z.array(z.string().refine((k) => CHALLENGE_KINDS.includes(k), `a task kind: one of ${CHALLENGE_KINDS.join(", ")}`)).default([]),
    calibration_file: z.string().min(1).optional(),
    corpus_dir: z.string().min(1).optional(),
    generator_model: z.string().min(1).max(512).optional(),
    // 0 uses every kind: for tiny random test models, whose scores mean nothing anyway.
    min_full_accuracy: z.number().min(0).max(1).default(0.6),
    min_full_existence: share.default(0.5),
    query_concurrency: z.number().int().min(1).max(256).default(8),
    download_concurrency: z.number().int().min(1).max(64).default(8),
    eval_batch: z.number().int().min(1).max(64).default(8),
    download_timeout_s: z.number().gt(0).max(3600).optional(),
    top_fraction: share.default(0.3),
    auth: z.enum(["bt10", "btauth1"]).default("bt10"),
    allow_stand_in: z.boolean().default(false),
    allow_private_downloads: z.boolean().optional(),
    metrics_port: z.number().int().min(0).max(65535).optional(),
    organic: z
      .strictObject({
        port: z.number().int().min(0).max(65535).optional(),
        host: z.string().min(1).default("127.0.0.1"),
        verify_share: z.number().min(0).max(1).default(0.1),
        timeout_s: z.number().gt(0).max(600).default(60),
        max_scoring: z.number().int().min(0).max(64).default(2),
        scoring_queue: z.number().int().min(0).max(256).default(8),
      })
      .prefault({}),
  })
  .prefault({});

export const ValidatorConfigSchema = z
  .strictObject({
    ...BittensorConfigShape,
    ...NeuronWorkerShape,
    validator: ValidatorSectionSchema,
  })
  .transform((c) => ({
    ...c,
    validator: {
      ...c.validator,
      state_path: c.validator.state_path ?? defaultStatePath(c.netuid),
      require_permit: c.validator.require_permit ?? (c.subtensor.network === "finney" || c.subtensor.network === "test"),
      allow_private_downloads: c.validator.allow_private_downloads ?? c.validator.allow_private,
      // The worker reads the folder: an absolute path, whatever the worker's working directory is.
      corpus_dir: c.validator.corpus_dir === undefined ? undefined : path.resolve(c.validator.corpus_dir),
    },
  }));

export type ValidatorConfig = z.output<typeof ValidatorConfigSchema>;

/** Parses `condense validator` flags given as a list (localnet, tests, benchmarks); throws ConfigError. */
export function validatorConfigFromArgs(args: readonly string[], env: NodeJS.ProcessEnv = {}): ValidatorConfig {
  const argv = addOptions(yargs([...args]), VALIDATOR_OPTIONS).parseSync() as Record<string, unknown>;
  return resolveConfig({ schema: ValidatorConfigSchema, specs: VALIDATOR_OPTIONS, argv, env });
}
