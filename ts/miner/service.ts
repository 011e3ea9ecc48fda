// The miner's request logic, independent of the HTTP layer: who may call (403), how much (429), what
// a compress request must satisfy (400), and the compress -> sign -> store -> URL pipeline.
import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { pino } from "pino";
import { contextSha256 } from "../container/hash.js";
import type { Metagraph } from "../chain/types.js";
import { StorageError } from "../storage/errors.js";
import type { ObjectStore } from "../storage/types.js";
import type { TierTable } from "../tiers/index.js";
import { BudgetLedger, type TierBudgetPolicy } from "./budget.js";
import type { CompressOutcome, Compressor } from "./compressor.js";
import { MinerError } from "./errors.js";
import { LegacyExportError, wantsLegacy, type LegacyExporter } from "./legacy.js";
import { mapComputeError } from "./map-errors.js";
import { MinerMetrics } from "./metrics.js";
import type { ServedModel } from "./models.js";
import { CallerRegistry, type CallerPolicy } from "./permits.js";
import { selectTier, type TierChoice } from "./tier-select.js";

export interface MinerServiceOptions {
  tiers: TierTable;
  /** Tiers this miner serves (names in `tiers`). */
  servedTiers: readonly string[];
  /** Declared capacity per served tier, requests per scoring period. */
  capacity: Readonly<Record<string, number>>;
  models: readonly ServedModel[];
  algorithm: string;
  /** Fraction of tokens removed (kvpress convention). */
  ratio: number;
  /** The miner's hotkey (ss58): recorded in and signing every container. */
  hotkey: string;
  compressor: Compressor;
  store: ObjectStore;
  /** Signs the container file in place with the hotkey (ts/container signContainer). */
  signContainer: (file: string) => Promise<void>;
  /** Folder (tmpfs) where workers write containers before upload. */
  workDir: string;
  callers: CallerPolicy;
  /** Smallest budget of an admitted validator (the subnet's 10). */
  budgetFloor: number;
  logger?: Logger;
  now?: () => number;
  /** Called with every served result (benchmarks). */
  onCompressed?: (r: CompressResult) => void;
  /** Prometheus metrics; a private registry when absent. */
  metrics?: MinerMetrics;
  /** Produces the legacy .npy for validators that ask for it; absent = legacy requests get 400. */
  legacy?: LegacyExporter;
}

export interface CompressRequestIn {
  context: unknown;
  target_model: unknown;
  /** Our validators name the tier; legacy ones do not. */
  tier?: unknown;
  /** "safetensors" (ours) or "npy"/empty (the subnet's legacy validators). */
  format?: unknown;
}

export interface PhaseTimings {
  validate_ms: number;
  queue_ms: number;
  compute_ms: number;
  serialize_ms: number;
  sign_ms: number;
  /** Legacy .npy export (0 for containers). */
  export_ms: number;
  upload_ms: number;
  url_ms: number;
  total_ms: number;
}

export interface CompressResult {
  compressed_kv_url: string;
  /** "safetensors" (a signed container) or "npy" (the legacy export). */
  format: "safetensors" | "npy";
  tier: string;
  target_model: string;
  context_sha256: string;
  kept_tokens: number;
  original_tokens: number;
  bytes: number;
  key: string;
  timings: PhaseTimings;
}

/** What the Metadata synapse answers (bittensor/protocols CapacityMetadata plus budgets). */
export interface MetadataReply {
  /** Legacy field: the first served tier. */
  tier: string;
  /** Per served tier: declared capacity per scoring period, and the asking validator's budget and use. */
  tiers: Record<string, { capacity: number; budget: number; used: number }>;
  scoring_period_s: number;
  target_models: string[];
  algorithm: string;
}

export type BlacklistDecision = { blocked: false } | { blocked: true; status: 403; code: "unknown_hotkey" | "no_validator_permit" | "stake_too_low"; reason: string };

export class MinerService {
  readonly log: Logger;
  private callers: CallerRegistry | null = null;
  private readonly ledger: BudgetLedger;
  private readonly now: () => number;
  readonly metrics: MinerMetrics;
  private workDirReady: Promise<void> | null = null;

  constructor(readonly opts: MinerServiceOptions) {
    this.metrics = opts.metrics ?? new MinerMetrics();
    this.log = opts.logger ?? pino({ level: "silent" });
    this.now = opts.now ?? Date.now;
    const policies = new Map<string, TierBudgetPolicy>();
    for (const t of opts.servedTiers) {
      const tier = opts.tiers.tiers[t];
      if (!tier) throw new Error(`served tier '${t}' is not in the tier table`);
      policies.set(t, { requestsPerEpoch: tier.requests_per_epoch, capacity: opts.capacity[t] ?? tier.requests_per_epoch, floor: opts.budgetFloor });
    }
    this.ledger = new BudgetLedger(opts.tiers.scoring_period_s * 1000, policies, this.now);
  }

  /** Installs a new metagraph snapshot: who may call and every validator's budget. */
  updateMetagraph(mg: Metagraph): void {
    this.callers = new CallerRegistry(mg, this.opts.callers);
    this.ledger.rebuild(this.callers.admittedStakes());
  }

  blacklist(hotkey: string): BlacklistDecision {
    if (!this.callers) return { blocked: true, status: 403, code: "unknown_hotkey", reason: "metagraph not loaded yet" };
    const a = this.callers.admit(hotkey);
    return a.ok ? { blocked: false } : { blocked: true, status: 403, code: a.code, reason: a.reason };
  }

  priority(hotkey: string): number {
    return this.callers?.priority(hotkey) ?? 0;
  }

  metadata(hotkey: string): MetadataReply {
    const tiers: MetadataReply["tiers"] = {};
    for (const t of this.opts.servedTiers) {
      tiers[t] = {
        capacity: this.opts.capacity[t] ?? this.opts.tiers.tiers[t]!.requests_per_epoch,
        budget: this.ledger.budgetOf(t, hotkey),
        used: this.ledger.usedBy(t, hotkey),
      };
    }
    return {
      tier: this.opts.servedTiers[0]!,
      tiers,
      scoring_period_s: this.opts.tiers.scoring_period_s,
      target_models: this.opts.models.map((m) => m.target),
      algorithm: this.opts.algorithm,
    };
  }

  /** Serves one compress request. Throws MinerError (with its HTTP status) on every failure. */
  async compress(hotkey: string, req: CompressRequestIn, opts: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<CompressResult> {
    try {
      const r = await this.serve(hotkey, req, opts);
      this.metrics.requests.inc({ tier: r.tier, outcome: "ok" });
      this.metrics.observe(r.timings);
      return r;
    } catch (e) {
      const tier = typeof req.tier === "string" && req.tier ? req.tier : "unknown";
      this.metrics.requests.inc({ tier, outcome: e instanceof MinerError ? e.code : "error" });
      throw e;
    }
  }

  private async serve(hotkey: string, req: CompressRequestIn, opts: { signal?: AbortSignal; timeoutMs?: number }): Promise<CompressResult> {
    const t0 = performance.now();
    const { choice, legacy, sha } = this.admit(hotkey, req);
    const validateMs = performance.now() - t0;
    const timeoutMs = opts.timeoutMs ?? choice.tier.timeout_s * 1000;
    const key = `${choice.name}/${sha.slice(0, 16)}-${randomUUID()}.${legacy ? "npy" : "safetensors"}`;
    const file = path.join(this.opts.workDir, `${randomUUID()}.safetensors`);
    const npyFile = `${file}.npy`;
    try {
      const outcome = await this.produce(hotkey, choice, req.context as string, file, legacy ? npyFile : null, sha, timeoutMs, opts.signal);
      const published = await this.publish(key, outcome, legacy ? npyFile : null, timeoutMs, opts.signal);
      const tEnd = performance.now();
      const timings: PhaseTimings = {
        validate_ms: validateMs,
        queue_ms: outcome.queueMs ?? 0,
        compute_ms: outcome.computeMs,
        serialize_ms: outcome.serializeMs,
        ...published.timings,
        total_ms: tEnd - t0,
      };
      this.log.info({ tier: choice.name, caller: hotkey, kept: outcome.keptTokens, bytes: published.bytes, key, ms: Math.round(timings.total_ms) }, "compressed");
      const result: CompressResult = {
        compressed_kv_url: published.url,
        format: legacy ? "npy" : "safetensors",
        tier: choice.name,
        target_model: choice.served.target,
        context_sha256: sha,
        kept_tokens: outcome.keptTokens,
        original_tokens: outcome.originalTokens,
        bytes: published.bytes,
        key,
        timings,
      };
      this.opts.onCompressed?.(result);
      return result;
    } finally {
      // Cleanup is off the response path; a failure to delete is logged, never thrown.
      for (const f of [file, npyFile]) void rm(f, { force: true }).catch((e: unknown) => this.log.warn({ file: f, err: String(e) }, "cannot delete work file"));
    }
  }

  /** Everything answered without compute: identity (403), fields and tier (400), budget (429), workers (503). */
  private admit(hotkey: string, req: CompressRequestIn): { choice: TierChoice; legacy: boolean; sha: string } {
    const admitted = this.blacklist(hotkey);
    if (admitted.blocked) throw new MinerError(admitted.code, admitted.reason);
    if (typeof req.context !== "string" || req.context.length === 0) throw new MinerError("bad_request", "context must be a non-empty string");
    if (typeof req.target_model !== "string" || req.target_model.length === 0) throw new MinerError("bad_request", "target_model must be a non-empty string");
    if (req.tier !== undefined && req.tier !== null && req.tier !== "" && typeof req.tier !== "string") throw new MinerError("bad_request", "tier must be a string");
    if (req.format !== undefined && req.format !== null && !["", "npy", "safetensors"].includes(req.format as string))
      throw new MinerError("bad_request", `compressed_kv_format must be "safetensors" or "npy", got ${JSON.stringify(req.format)}`);
    const legacy = wantsLegacy(req.format);
    if (legacy && !this.opts.legacy) throw new MinerError("bad_request", 'this miner does not export the legacy .npy format; ask for compressed_kv_format "safetensors"');
    const requested = typeof req.tier === "string" && req.tier !== "" ? req.tier : undefined;
    const choice = selectTier(this.opts.tiers, this.opts.servedTiers, this.opts.models, req.context, req.target_model, requested);
    const took = this.ledger.consume(choice.name, hotkey);
    if (!took.ok) throw new MinerError(took.code, took.reason);
    if (!this.opts.compressor.available()) {
      this.ledger.refund(choice.name, hotkey);
      throw new MinerError("pool_unavailable", "no compression worker is ready");
    }
    return { choice, legacy, sha: contextSha256(req.context) };
  }

  /** Runs the compression: the worker writes the container to `file`, bound to `sha`. */
  private async produce(
    hotkey: string,
    choice: TierChoice,
    context: string,
    file: string,
    npyFile: string | null,
    sha: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<CompressOutcome> {
    this.workDirReady ??= mkdir(this.opts.workDir, { recursive: true }).then(() => undefined);
    try {
      await this.workDirReady;
    } catch (e) {
      this.workDirReady = null;
      throw new MinerError("compress_failed", `cannot create work_dir ${this.opts.workDir}: ${(e as Error).message}`, { cause: e });
    }
    let outcome: CompressOutcome;
    try {
      outcome = await this.opts.compressor.compress(
        {
          context,
          targetModel: choice.served.target,
          algorithm: this.opts.algorithm,
          ratio: this.opts.ratio,
          minTokens: choice.tier.min_condensed_tokens,
          maxTokens: choice.tier.max_condensed_tokens,
          outputPath: file,
          minerHotkey: this.opts.hotkey,
          ...(npyFile ? { legacyNpyPath: npyFile } : {}),
        },
        { deadlineMs: Math.max(1000, timeoutMs - 250), ...(signal ? { signal } : {}) },
      );
    } catch (e) {
      const err = mapComputeError(e);
      if (err.code === "pool_unavailable") this.ledger.refund(choice.name, hotkey);
      throw err;
    }
    if (outcome.contextSha256 && outcome.contextSha256 !== sha)
      throw new MinerError("compress_failed", `worker bound the container to ${outcome.contextSha256}, expected ${sha}`);
    return outcome;
  }

  /** Signs the container, or exports the legacy .npy when asked (`npyFile`); uploads, and makes the URL. */
  private async publish(
    key: string,
    outcome: CompressOutcome,
    npyFile: string | null,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<{ url: string; bytes: number; timings: Pick<PhaseTimings, "sign_ms" | "export_ms" | "upload_ms" | "url_ms"> }> {
    const tSign = performance.now();
    // The legacy .npy carries no signature: sign only when the container itself is what gets published.
    if (!npyFile) {
      try {
        await this.opts.signContainer(outcome.path);
      } catch (e) {
        throw new MinerError("compress_failed", `signing the container failed: ${(e as Error).message}`, { cause: e });
      }
    }
    const tExport = performance.now();
    let upload = { path: outcome.path, bytes: outcome.bytes };
    if (npyFile && outcome.legacyNpyBytes) {
      upload = { path: npyFile, bytes: outcome.legacyNpyBytes }; // the worker wrote it alongside the container
    } else if (npyFile) {
      try {
        const bytes = await this.opts.legacy!.toNpy(outcome.path, npyFile, { ...(signal ? { signal } : {}), timeoutMs: Math.max(1000, timeoutMs) });
        upload = { path: npyFile, bytes };
      } catch (e) {
        throw new MinerError("compress_failed", e instanceof LegacyExportError ? e.message : `legacy export failed: ${(e as Error).message}`, { cause: e });
      }
    }
    const tUp = performance.now();
    // Presigning needs no network round trip and does not depend on the upload: run it alongside.
    const urlP = this.opts.store.url(key);
    urlP.catch(() => undefined); // observed below; never an unhandled rejection when the put fails first
    try {
      await this.opts.store.put(key, { path: upload.path }, { contentType: "application/octet-stream", ...(signal ? { signal } : {}) });
    } catch (e) {
      if (e instanceof StorageError && e.code === "unavailable") throw new MinerError("storage_unavailable", e.message, { cause: e });
      throw new MinerError("storage_failed", e instanceof Error ? e.message : String(e), { cause: e });
    }
    const tUrl = performance.now();
    let url: string;
    try {
      url = await urlP;
    } catch (e) {
      throw new MinerError("storage_failed", `cannot make a URL for ${key}: ${(e as Error).message}`, { cause: e });
    }
    const tEnd = performance.now();
    return { url, bytes: upload.bytes, timings: { sign_ms: tExport - tSign, export_ms: tUp - tExport, upload_ms: tUrl - tUp, url_ms: tEnd - tUrl } };
  }
}
