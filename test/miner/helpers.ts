// Shared fixtures for miner tests: a hand-built metagraph and a fake compressor that writes real files.
import { writeFile } from "node:fs/promises";
import type { Metagraph } from "../../ts/chain/types.js";
import type { CompressJob, CompressOutcome, Compressor } from "../../ts/miner/compressor.js";
import { contextSha256 } from "../../ts/container/hash.js";

export interface NeuronSpec {
  hotkey: string;
  stake: number;
  permit?: boolean;
}

export function metagraphOf(neurons: NeuronSpec[]): Metagraph {
  const n = neurons.length;
  return {
    netuid: 1,
    block: 100,
    n,
    uids: neurons.map((_, i) => i),
    hotkeys: neurons.map((x) => x.hotkey),
    coldkeys: neurons.map((x) => `cold-${x.hotkey}`),
    stakes: neurons.map((x) => x.stake),
    stakesRao: neurons.map((x) => BigInt(Math.round(x.stake * 1e9))),
    active: neurons.map(() => true),
    validatorPermits: neurons.map((x) => x.permit ?? true),
    axons: neurons.map(() => ({ block: 0, version: 0, ip: "0.0.0.0", port: 0, ipType: 4 as const, protocol: 4, isServing: false })),
    incentives: neurons.map(() => 0),
    dividends: neurons.map(() => 0),
    emissions: neurons.map(() => 0),
    lastUpdate: neurons.map(() => 0),
    source: "devchain",
  };
}

/** Writes `bytes` (default: 4 KiB) to the job's output path, like a worker writing a container. */
export class FakeCompressor implements Compressor {
  up = true;
  calls: CompressJob[] = [];
  failWith: Error | null = null;
  constructor(private readonly size = 4096) {}
  available(): boolean {
    return this.up;
  }
  async compress(job: CompressJob): Promise<CompressOutcome> {
    this.calls.push(job);
    if (this.failWith) throw this.failWith;
    const data = Buffer.alloc(this.size, 0x5a);
    data.write(job.context.slice(0, 16));
    await writeFile(job.outputPath, data);
    return { path: job.outputPath, bytes: data.length, keptTokens: 130, originalTokens: 520, contextSha256: contextSha256(job.context), computeMs: 5, serializeMs: 1, queueMs: 0 };
  }
}

/** Polls `read` until it returns `want` (work-file cleanup runs after the response is sent). */
export async function eventually<T>(read: () => Promise<T>, want: T, tries = 100): Promise<T> {
  let got = await read();
  for (let i = 0; i < tries && JSON.stringify(got) !== JSON.stringify(want); i++) {
    await new Promise((r) => setTimeout(r, 10));
    got = await read();
  }
  return got;
}
