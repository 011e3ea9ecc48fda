// The worker options every neuron shares (miner and validator both run local Python workers): which model,
// how many workers, on which device, with how many torch threads each.
import { z } from "zod";
import type { OptionSpec } from "../config/options.js";

export const NEURON_WORKER_OPTIONS: readonly OptionSpec[] = [
  { key: "model", type: "string", describe: "worker model spec (HF id, local dir, tiny:llama, smollm2); default: the target model" },
  { key: "workers", type: "number", describe: "number of local workers" },
  { key: "device", type: "string", describe: "worker device (cpu, cuda, cuda:1)" },
  { key: "threads", type: "number", describe: "torch threads per worker on CPU (default: the worker pool's share of the cores)" },
];

/** Spread into a neuron's config schema: top-level `model`, `workers`, `device`, `threads`. */
export const NeuronWorkerShape = {
  model: z.string().min(1).optional(),
  workers: z.number().int().min(1).max(64).default(1),
  device: z.string().regex(/^(cpu|cuda(:\d+)?|mps)$/, "cpu, cuda, cuda:N or mps").default("cpu"),
  threads: z.number().int().min(1).max(1024).optional(),
};

export interface NeuronWorkerConfig {
  model?: string | undefined;
  workers: number;
  device: string;
  threads?: number | undefined;
}
