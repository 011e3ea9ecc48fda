// The misbehaving localnet miner's compute: it made one real container once (for a context of its own) and
// hands a copy of it back for every challenge. The miner signs each copy, so the signature is good; what is
// wrong is the binding to the challenge's context, which the validator must catch and refuse.
import { copyFile, stat } from "node:fs/promises";
import type { CompressCallOptions, CompressJob, CompressOutcome, Compressor } from "../miner/compressor.js";

export const REPLAY_DONOR_CONTEXT = `An old ledger. ${"The harbour log lists crates, ropes and lanterns in no particular order. ".repeat(16)}`;

export class ReplayCompressor implements Compressor {
  private donor: Promise<{ path: string; keptTokens: number; originalTokens: number }> | null = null;

  constructor(
    private readonly inner: Compressor,
    /** Where the one real container is kept (a private folder of the localnet). */
    private readonly donorPath: string,
  ) {}

  available(): boolean {
    return this.inner.available();
  }

  capabilities(): ReadonlySet<string> {
    return this.inner.capabilities?.() ?? new Set();
  }

  workers() {
    return this.inner.workers?.() ?? [];
  }

  private makeDonor(job: CompressJob, opts: CompressCallOptions) {
    this.donor ??= this.inner
      .compress({ ...job, context: REPLAY_DONOR_CONTEXT, outputPath: this.donorPath }, opts)
      .then((r) => ({ path: r.path, keptTokens: r.keptTokens, originalTokens: r.originalTokens }))
      .catch((e: unknown) => {
        this.donor = null; // try again on the next request
        throw e;
      });
    return this.donor;
  }

  async compress(job: CompressJob, opts: CompressCallOptions): Promise<CompressOutcome> {
    const t0 = performance.now();
    const d = await this.makeDonor(job, opts);
    await copyFile(d.path, job.outputPath);
    const bytes = (await stat(job.outputPath)).size;
    // contextSha256 left empty: the miner then has nothing to compare, as a cheating worker would arrange.
    return { path: job.outputPath, bytes, keptTokens: d.keptTokens, originalTokens: d.originalTokens, contextSha256: "", computeMs: performance.now() - t0, serializeMs: 0 };
  }
}
