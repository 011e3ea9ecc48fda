// The worker options every neuron shares (miner and validator both run local Python workers): which model,
// how many workers, on which device, with how many torch threads each.
import { z } from "zod";
import type { OptionSpec } from "../config/options.js";

export const NEURON_WORKER_OPTIONS: readonly OptionSpec[] = [
  { key: "model", type: "string", describe: "worker model spec (HF id, local dir, tiny:llama, smollm2); default: the target model" },
  { key: "workers", type: "number", describe: "number of local workers" },
  { key: "device", type: "string", describe: "worker device (cpu, cuda, cuda:1)" },
  { key: "threads", type: "number", describe: "torch threads per worker on CPU (default: the worker pool's share of the cores)" },
  { key: "worker_endpoint", type: "string", describe: "also bind tcp://HOST:PORT for remote workers (python -m condense_worker --connect ...); the key comes from CONDENSE_WORKER_KEY" },
];

/** Spread into a neuron's config schema: top-level `model`, `workers`, `device`, `threads`. */
export const NeuronWorkerShape = {
  model: z.string().min(1).optional(),
  workers: z.number().int().min(1).max(64).default(1),
  device: z.string().regex(/^(cpu|cuda(:\d+)?|mps)$/, "cpu, cuda, cuda:N or mps").default("cpu"),
  threads: z.number().int().min(1).max(1024).optional(),
  worker_endpoint: z.string().regex(/^tcp:\/\/[^\s/]+:\d+$/, "tcp://HOST:PORT, e.g. tcp://10.0.0.5:5555").optional(),
};

export interface NeuronWorkerConfig {
  model?: string | undefined;
  workers: number;
  device: string;
  threads?: number | undefined;
  /** tcp:// endpoint remote workers connect to (the pool key from CONDENSE_WORKER_KEY). */
  worker_endpoint?: string | undefined;
}
