// The verification entry point the cycle uses per answer: download (guarded, capped, hashed, deadline-bound,
// at most `concurrency` at once) into a private tmpfs directory, then the container checks. The caller
// owns the returned file and removes it (`release`) once the worker has evaluated it.
import { rm } from "node:fs/promises";
import type { Agent } from "undici";
import type { ContainerHeader } from "../../container/index.js";
import { checkContainer, DEFAULT_ALLOWED_DTYPES, type ContainerExpectation } from "./container.js";
import { createPrivateDir, downloadToFile, removePrivateDir } from "./download.js";
import { maxContainerBytes } from "./limits.js";
import { Limiter } from "./limiter.js";
import { createGuardedAgent, DEFAULT_URL_POLICY, type Resolver, type UrlPolicy } from "./url-policy.js";

export interface FetcherConfig extends UrlPolicy {
  /** Downloads running at once. Default 8. */
  concurrency: number;
  /** Downloads waiting for a slot before new ones are refused. Default 1024. */
  maxQueued: number;
  /** Connect timeout per download, ms. Default 10,000. */
  connectTimeoutMs: number;
  /** Parent of the private download directory; default /dev/shm when usable, else the OS temp dir. */
  baseDir?: string;
}

export const DEFAULT_FETCHER_CONFIG: Readonly<FetcherConfig> = Object.freeze({
  ...DEFAULT_URL_POLICY,
  concurrency: 8,
  maxQueued: 1024,
  connectTimeoutMs: 10_000,
});

export interface Fetched {
  path: string;
  bytes: number;
  /** sha256 of the whole file, computed while it streamed in. */
  sha256: string;
  header: ContainerHeader;
  ms: number;
}

export class ContainerFetcher {
  readonly dir: string;
  private readonly agent: Agent;
  private readonly limiter: Limiter;
  private readonly cfg: FetcherConfig;

  constructor(config: Partial<FetcherConfig> = {}, resolve?: Resolver) {
    this.cfg = { ...DEFAULT_FETCHER_CONFIG, ...config };
    this.dir = createPrivateDir("condense-dl-", this.cfg.baseDir);
    this.agent = createGuardedAgent({ policy: this.cfg, resolve, connectTimeoutMs: this.cfg.connectTimeoutMs, connections: this.cfg.concurrency });
    this.limiter = new Limiter(this.cfg.concurrency, this.cfg.maxQueued);
  }

  /** Downloads and checks one answer; rejects with a VerifyError (the partial or refused file is deleted). */
  async fetch(url: string, expect: ContainerExpectation, deadline: number, signal?: AbortSignal): Promise<Fetched> {
    const allowedDtypes = expect.allowedDtypes ?? DEFAULT_ALLOWED_DTYPES;
    const maxBytes = maxContainerBytes({ model: expect.model, maxKeptTokens: expect.maxKeptTokens, allowedDtypes });
    return this.limiter.run(async () => {
      const d = await downloadToFile(url, { dispatcher: this.agent, dir: this.dir, maxBytes, deadline, policy: this.cfg, signal });
      try {
        const header = await checkContainer(d.path, expect);
        return { path: d.path, bytes: d.bytes, sha256: d.sha256, header, ms: d.ms };
      } catch (err) {
        await rm(d.path, { force: true });
        throw err;
      }
    });
  }

  async release(f: Pick<Fetched, "path">): Promise<void> {
    await rm(f.path, { force: true });
  }

  async close(): Promise<void> {
    await this.agent.close();
    removePrivateDir(this.dir);
  }
}
