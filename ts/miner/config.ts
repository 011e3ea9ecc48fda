// `condense miner` configuration: the shared bittensor flags, the neuron's worker flags (--model, --workers,
// --device, --threads), --miner.* and --storage.*, validated by one schema at start (errors name the key,
// the value and its source).
import yargs from "yargs";
import { z } from "zod";
import { BITTENSOR_OPTIONS, addOptions, type OptionSpec } from "../config/options.js";
import { resolveConfig } from "../config/resolve.js";
import { BittensorConfigShape } from "../config/schema.js";
import { NEURON_WORKER_OPTIONS, NeuronWorkerShape } from "../neuron/options.js";
import { STORAGE_OPTIONS, StorageConfigSchema } from "../storage/config.js";

export const MINER_OPTIONS: readonly OptionSpec[] = [
  ...BITTENSOR_OPTIONS,
  { key: "miner.tiers", type: "array", describe: "tiers to serve (one or more names from the tier table)" },
  { key: "miner.tiers_file", type: "string", describe: "tier table JSON (default: the built-in seed table, as in config/tiers.json)" },
  { key: "miner.algorithm", type: "string", describe: "compression algorithm run by the workers (knorm, snapkv, streaming_llm, ...)" },
  { key: "miner.checkpoint", type: "string", describe: "local checkpoint directory the algorithm needs (soft_token, activation_beacon)" },
  { key: "miner.ratio", type: "number", describe: "fraction of KV tokens removed, 0..1 (kvpress convention)" },
  { key: "miner.capacity", type: "array", describe: "declared capacity per tier per scoring period: TIER=N (default: the tier's requests per epoch)" },
  { key: "miner.targets", type: "array", describe: "target model ids served (default: every supporting model of the served tiers)" },
  { key: "miner.allow_stand_in", type: "boolean", describe: "let --model differ from the target (tests, local networks); refused on finney" },
  { key: "miner.legacy_npy", type: "boolean", describe: "answer validators that ask for the subnet's legacy .npy (or name no format) with one" },
  { key: "miner.min_stake", type: "number", describe: "minimum validator stake (tokens) to be served" },
  { key: "miner.require_permit", type: "boolean", describe: "serve only validators holding a validator permit" },
  { key: "miner.whitelist", type: "array", describe: "hotkeys always served (testing)" },
  { key: "miner.budget_floor", type: "number", describe: "smallest per-validator budget per period" },
  { key: "miner.sync_interval_s", type: "number", describe: "metagraph resync interval, seconds" },
  { key: "miner.max_concurrent", type: "number", describe: "compress requests handled at once; more wait in stake order (default: 2 per worker)" },
  { key: "miner.metrics_port", type: "number", describe: "serve the operations app (/metrics, /healthz) at http://<axon.ip>:PORT (unset = off)" },
  { key: "miner.work_dir", type: "string", describe: "folder (tmpfs) in which the miner makes its private work folder (default /dev/shm)" },
  ...NEURON_WORKER_OPTIONS,
  ...STORAGE_OPTIONS,
];

/** "research=300" entries -> { research: 300 }. */
const CapacityList = z
  .array(z.string().regex(/^[a-z][a-z0-9_]*=\d+$/, "entries are TIER=N, e.g. research=256"))
  .default([])
  .transform((xs) => Object.fromEntries(xs.map((x) => [x.split("=")[0]!, Number(x.split("=")[1])])) as Record<string, number>);

export const MinerSectionSchema = z
  .strictObject({
    tiers: z.array(z.string().min(1)).min(1, "serve at least one tier").default(["research"]),
    tiers_file: z.string().min(1).optional(),
    algorithm: z.string().regex(/^[a-z_]+$/, "an algorithm name such as knorm").default("kvzip_sentence"),
    checkpoint: z.string().min(1).optional(),
    ratio: z.number().gt(0).lt(1).default(0.75),
    capacity: CapacityList,
    targets: z.array(z.string().min(1)).default([]),
    allow_stand_in: z.boolean().default(false),
    legacy_npy: z.boolean().default(true),
    min_stake: z.number().min(0).default(10000),
    require_permit: z.boolean().default(true),
    whitelist: z.array(z.string().regex(/^[1-9A-HJ-NP-Za-km-z]{46,48}$/, "not an ss58 address")).default([]),
    budget_floor: z.number().int().min(0).default(10),
    sync_interval_s: z.number().int().min(5).default(600),
    max_concurrent: z.number().int().min(1).max(1024).optional(),
    metrics_port: z.number().int().min(0).max(65535).optional(),
    work_dir: z.string().min(1).optional(),
  })
  .prefault({});

export const MinerConfigSchema = z.strictObject({
  ...BittensorConfigShape,
  miner: MinerSectionSchema,
  ...NeuronWorkerShape,
  storage: StorageConfigSchema,
});

export type MinerConfig = z.output<typeof MinerConfigSchema>;

/** Parses `condense miner` flags given as a list (localnet, tests, benchmarks); throws ConfigError. */
export function minerConfigFromArgs(args: readonly string[], env: NodeJS.ProcessEnv = {}): MinerConfig {
  const argv = addOptions(yargs([...args]), MINER_OPTIONS).parseSync() as Record<string, unknown>;
  return resolveConfig({ schema: MinerConfigSchema, specs: MINER_OPTIONS, argv, env });
}
