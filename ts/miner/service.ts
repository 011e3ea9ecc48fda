// The miner's request logic, independent of the HTTP layer: who may call (403), how much (429), what
// a compress request must satisfy (400), all in `admit` (no compute, answered before any queue), then the
// compress -> sign or export -> store -> URL pipeline in `run`, all bound by the admission's one deadline.
import { randomUUID } from "node:crypto";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Logger } from "pino";
import { pino } from "pino";
import { contextSha256 } from "../container/hash.js";
import type { Metagraph } from "../chain/types.js";
import { StorageError } from "../storage/errors.js";
import type { ObjectStore } from "../storage/types.js";
import type { MinerMetadata, TierTable } from "../subnet/index.js";
import { BudgetLedger, type TierBudgetPolicy } from "./budget.js";
import type { CompressOutcome, Compressor } from "./compressor.js";
import { MinerError } from "./errors.js";
import { wantsLegacy, type LegacyExporter } from "./legacy.js";
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
  /** Private folder (tmpfs) where workers write containers before upload. */
  workDir: string;
  /** Checkpoint directory the algorithm needs (soft_token, activation_beacon). */
  checkpoint?: string;
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

/** A request that passed every check that needs no compute, with its budget taken and its one deadline. */
export interface Admission {
  readonly hotkey: string;
  readonly choice: TierChoice;
  readonly legacy: boolean;
  readonly context: string;
  readonly sha: string;
  /** Absolute epoch ms, fixed at admission: waiting in a queue after it does not restart it. */
  readonly deadline: number;
  /** performance.now() at admission (for the timings). */
  readonly t0: number;
  readonly validateMs: number;
  /** The budget period the request was counted in. */
  readonly window: number;
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

export type BlacklistDecision = { blocked: false } | { blocked: true; status: 403; code: "unknown_hotkey" | "no_validator_permit" | "stake_too_low"; reason: string };

/** Signals for work that must end at `deadline` or when the caller goes away, whichever comes first. */
function deadlineSignal(deadline: number, signal?: AbortSignal): AbortSignal {
  const t = AbortSignal.timeout(Math.max(0, deadline - Date.now()));
  return signal ? AbortSignal.any([signal, t]) : t;
}

export class MinerService {
  readonly log: Logger;
  private callers: CallerRegistry | null = null;
  private readonly ledger: BudgetLedger;
  private readonly now: () => number;
  readonly metrics: MinerMetrics;
  private workDirReady: Promise<void> | null = null;
  /** Admissions that ran or were released: each is settled once. */
  private readonly settled = new WeakSet<Admission>();

  constructor(readonly opts: MinerServiceOptions) {
    this.metrics = opts.metrics ?? new MinerMetrics(undefined, Object.keys(opts.tiers.tiers));
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

  /** Whether `hotkey` is registered on the subnet (who may ask for Metadata). */
  registered(hotkey: string): boolean {
    return this.callers?.registered(hotkey) ?? false;
  }

  priority(hotkey: string): number {
    return this.callers?.priority(hotkey) ?? 0;
  }

  metadata(hotkey: string): MinerMetadata & Required<Pick<MinerMetadata, "tier" | "tiers">> {
    const tiers: Record<string, { capacity: number; budget: number; used: number }> = {};
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

  /** Serves one compress request: admit, then run. Throws MinerError (with its HTTP status) on every failure. */
  async compress(hotkey: string, req: CompressRequestIn, opts: { signal?: AbortSignal; deadline?: number } = {}): Promise<CompressResult> {
    return this.run(this.admit(hotkey, req, opts.deadline !== undefined ? { deadline: opts.deadline } : {}), opts);
  }

  /**
   * Everything answered without compute: identity (403), fields, model, tier and context (400), budget
   * (429), workers (503). Takes one request from the caller's budget. The deadline is the caller's, or the
   * tier's timeout from now.
   */
  admit(hotkey: string, req: CompressRequestIn, opts: { deadline?: number } = {}): Admission {
    const t0 = performance.now();
    try {
      const a = this.check(hotkey, req, opts.deadline);
      return { ...a, t0, validateMs: performance.now() - t0 };
    } catch (e) {
      this.metrics.requests.inc({ tier: this.metrics.tierLabel(req.tier), outcome: e instanceof MinerError ? e.code : "error" });
      throw e;
    }
  }

  /**
   * Gives back the budget of an admission that will never run (the HTTP layer refused it after admission:
   * its forward queue was full, or the wait for a slot outlasted the request). Once per admission.
   */
  release(a: Admission): void {
    if (this.settled.has(a)) return;
    this.settled.add(a);
    this.ledger.refund(a.choice.name, a.hotkey, a.window);
  }

  /** Runs an admitted request: compress, sign or export, upload, URL, all within the admission's deadline. */
  async run(a: Admission, opts: { signal?: AbortSignal; deadline?: number } = {}): Promise<CompressResult> {
    if (this.settled.has(a)) throw new MinerError("deadline_exceeded", "the request was released before it could run");
    this.settled.add(a);
    try {
      const r = await this.serve(a, opts.deadline !== undefined ? Math.min(a.deadline, opts.deadline) : a.deadline, opts.signal);
      this.metrics.requests.inc({ tier: r.tier, outcome: "ok" });
      this.metrics.observe(r.timings);
      return r;
    } catch (e) {
      this.metrics.requests.inc({ tier: a.choice.name, outcome: e instanceof MinerError ? e.code : "error" });
      throw e;
    }
  }

  private check(hotkey: string, req: CompressRequestIn, deadline: number | undefined): Omit<Admission, "t0" | "validateMs"> {
    const admitted = this.blacklist(hotkey);
    if (admitted.blocked) throw new MinerError(admitted.code, admitted.reason);
    if (typeof req.context !== "string" || req.context.length === 0) throw new MinerError("bad_request", "context must be a non-empty string");
    if (typeof req.target_model !== "string" || req.target_model.length === 0) throw new MinerError("bad_request", "target_model must be a non-empty string");
    if (req.tier !== undefined && req.tier !== null && req.tier !== "" && typeof req.tier !== "string") throw new MinerError("bad_request", "tier must be a string");
    if (req.format !== undefined && req.format !== null && !["", "npy", "safetensors"].includes(req.format as string))
      throw new MinerError("bad_request", `compressed_kv_format must be "safetensors" or "npy", got ${JSON.stringify(String(req.format).slice(0, 40))}`);
    const legacy = wantsLegacy(req.format);
    if (legacy && !this.opts.legacy) throw new MinerError("bad_request", 'this miner does not export the legacy .npy format; ask for compressed_kv_format "safetensors"');
    const requested = typeof req.tier === "string" && req.tier !== "" ? req.tier : undefined;
    const choice = selectTier(this.opts.tiers, this.opts.servedTiers, this.opts.models, req.context, req.target_model, requested, legacy);
    const took = this.ledger.consume(choice.name, hotkey);
    if (!took.ok) throw new MinerError(took.code, took.reason);
    if (!this.opts.compressor.available()) {
      this.ledger.refund(choice.name, hotkey);
      throw new MinerError("pool_unavailable", "no compression worker is ready");
    }
    return { hotkey, choice, legacy, context: req.context, sha: contextSha256(req.context), deadline: deadline ?? Date.now() + choice.tier.timeout_s * 1000, window: took.window };
  }

  private async serve(a: Admission, deadline: number, signal?: AbortSignal): Promise<CompressResult> {
    const { choice, legacy, sha } = a;
    const key = `${choice.name}/${sha.slice(0, 16)}-${randomUUID()}.${legacy ? "npy" : "safetensors"}`;
    const file = path.join(this.opts.workDir, `${randomUUID()}.safetensors`);
    const npyFile = `${file}.npy`;
    try {
      const outcome = await this.produce(a, file, legacy ? npyFile : null, deadline, signal);
      const published = await this.publish(key, outcome, legacy ? npyFile : null, deadline, signal);
      const tEnd = performance.now();
      const timings: PhaseTimings = {
        validate_ms: a.validateMs,
        queue_ms: outcome.queueMs ?? 0,
        compute_ms: outcome.computeMs,
        serialize_ms: outcome.serializeMs,
        ...published.timings,
        total_ms: tEnd - a.t0,
      };
      this.log.info({ tier: choice.name, caller: a.hotkey, kept: outcome.keptTokens, bytes: published.bytes, key, ms: Math.round(timings.total_ms) }, "compressed");
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

  /** The request's deadline passed, or its caller went away: the error to answer with (null when neither). */
  private ended(deadline: number, signal?: AbortSignal): MinerError | null {
    if (signal?.aborted) return new MinerError("cancelled", "the request was cancelled (client disconnected or its timeout passed)");
    if (Date.now() >= deadline) return new MinerError("deadline_exceeded", "the request's deadline passed");
    return null;
  }

  /** Runs the compression: the worker writes the container to `file`, bound to the admission's context. */
  private async produce(a: Admission, file: string, npyFile: string | null, deadline: number, signal?: AbortSignal): Promise<CompressOutcome> {
    this.workDirReady ??= mkdir(this.opts.workDir, { recursive: true, mode: 0o700 }).then(() => undefined);
    try {
      await this.workDirReady;
    } catch (e) {
      this.workDirReady = null;
      throw new MinerError("compress_failed", "cannot create the work folder", { cause: e, detail: `${this.opts.workDir}: ${(e as Error).message}` });
    }
    const late = this.ended(deadline, signal);
    if (late) {
      this.ledger.refund(a.choice.name, a.hotkey, a.window);
      throw late;
    }
    let outcome: CompressOutcome;
    try {
      outcome = await this.opts.compressor.compress(
        {
          context: a.context,
          targetModel: a.choice.served.target,
          algorithm: this.opts.algorithm,
          ratio: this.opts.ratio,
          minTokens: a.choice.minTokens,
          maxTokens: a.choice.maxTokens,
          outputPath: file,
          minerHotkey: this.opts.hotkey,
          ...(this.opts.checkpoint ? { checkpoint: this.opts.checkpoint } : {}),
          ...(npyFile ? { legacyNpyPath: npyFile } : {}),
        },
        { deadline, ...(signal ? { signal } : {}) },
      );
    } catch (e) {
      const err = mapComputeError(e);
      if (err.code === "pool_unavailable") this.ledger.refund(a.choice.name, a.hotkey, a.window);
      throw err;
    }
    // Upload only the file we named: a worker answering with another path must not make us publish it.
    if (outcome.path !== file)
      throw new MinerError("compress_failed", "the worker wrote the container somewhere other than asked; refused", { detail: `asked ${file}, got ${outcome.path}` });
    if (outcome.contextSha256 && outcome.contextSha256 !== a.sha)
      throw new MinerError("compress_failed", `worker bound the container to ${outcome.contextSha256}, expected ${a.sha}`);
    return outcome;
  }

  /** Signs the container, or exports the legacy .npy when asked (`npyFile`); uploads, and makes the URL. */
  private async publish(
    key: string,
    outcome: CompressOutcome,
    npyFile: string | null,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<{ url: string; bytes: number; timings: Pick<PhaseTimings, "sign_ms" | "export_ms" | "upload_ms" | "url_ms"> }> {
    const tSign = performance.now();
    // The legacy .npy carries no signature: sign only when the container itself is what gets published.
    if (!npyFile) {
      try {
        await this.opts.signContainer(outcome.path);
      } catch (e) {
        throw new MinerError("compress_failed", "signing the container failed", { cause: e, detail: (e as Error).message });
      }
    }
    const tExport = performance.now();
    let upload = { path: outcome.path, bytes: outcome.bytes };
    if (npyFile && outcome.legacyNpyBytes) {
      upload = { path: npyFile, bytes: outcome.legacyNpyBytes }; // the worker wrote it alongside the container
    } else if (npyFile) {
      const late = this.ended(deadline, signal);
      if (late) throw late;
      try {
        const bytes = await this.opts.legacy!.toNpy(outcome.path, npyFile, { signal: deadlineSignal(deadline, signal), timeoutMs: deadline - Date.now() });
        upload = { path: npyFile, bytes };
      } catch (e) {
        throw this.ended(deadline, signal) ?? new MinerError("compress_failed", "legacy .npy export failed", { cause: e, detail: (e as Error).message });
      }
    }
    const tUp = performance.now();
    const late = this.ended(deadline, signal);
    if (late) throw late;
    // Presigning needs no network round trip and does not depend on the upload: run it alongside.
    const urlP = this.opts.store.url(key);
    urlP.catch(() => undefined); // observed below; never an unhandled rejection when the put fails first
    try {
      await this.opts.store.put(key, { path: upload.path }, { contentType: "application/octet-stream", signal: deadlineSignal(deadline, signal) });
    } catch (e) {
      const ended = this.ended(deadline, signal);
      if (ended) throw ended;
      if (e instanceof StorageError && e.code === "unavailable") throw new MinerError("storage_unavailable", e.message, { cause: e });
      throw new MinerError("storage_failed", "storing the container failed", { cause: e, detail: e instanceof Error ? e.message : String(e) });
    }
    const tUrl = performance.now();
    let url: string;
    try {
      url = await urlP;
    } catch (e) {
      throw new MinerError("storage_failed", `cannot make a URL for ${key}`, { cause: e, detail: (e as Error).message });
    }
    const tEnd = performance.now();
    return { url, bytes: upload.bytes, timings: { sign_ms: tExport - tSign, export_ms: tUp - tExport, upload_ms: tUrl - tUp, url_ms: tEnd - tUrl } };
  }
}
