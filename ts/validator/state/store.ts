// The validator's state in SQLite (better-sqlite3): WAL so the organic API can read and write from a second
// process, busy_timeout so writers queue instead of failing, foreign keys on, versioned migrations. Every
// write is keyed so that doing a step again after a crash changes nothing (first write wins), and each step
// that touches several rows is one IMMEDIATE transaction, so a crash leaves it wholly done or not at all.
import { randomBytes } from "node:crypto";
import Database from "better-sqlite3";
import { DEFAULT_CHALLENGE_SCORE_CONFIG, DEFAULT_PERIOD_SCORE_CONFIG, emaUpdate, periodScore, type PeriodHistoryEntry } from "../score/index.js";
import { StateError } from "./errors.js";
import { MIGRATIONS, type Migration } from "./migrations.js";

export interface StateOptions {
  /** How long a writer waits for another process's lock before SQLITE_BUSY, ms. Default 5,000. */
  busyTimeoutMs: number;
  /** SQLite synchronous mode; FULL survives power loss, NORMAL only process crashes. Default "FULL". */
  synchronous: "FULL" | "NORMAL";
  /** Open without writing (no migrations run); the schema must already be current. Default false. */
  readonly: boolean;
}
export const DEFAULT_STATE_OPTIONS: Readonly<StateOptions> = Object.freeze({ busyTimeoutMs: 5_000, synchronous: "FULL", readonly: false });

export interface PeriodRow {
  id: number;
  startedAt: number;
  endsAt: number;
  closedAt: number | null;
}

export interface ContenderPlan {
  hotkey: string;
  tier: string;
  uid: number;
  declaredCapacity: number;
  /** This validator's stake-based budget for the contender's tier. */
  budget: number;
  /** min(declared, budget): what the period score measures usage against. */
  capacity: number;
  testShare: number;
  /** Synthetic requests planned this period. */
  planned: number;
}

export interface ContenderRow extends ContenderPlan {
  periodId: number;
  total: number;
  consumed: number;
  n429: number;
  n5xx: number;
}

export interface ChallengeLog {
  id: string;
  periodId: number;
  hotkey: string;
  tier: string;
  uid: number;
  origin: "synthetic" | "organic";
  kind: string;
  /** Seed and params replay the challenge exactly (the Challenge request is deterministic in them). */
  seed: string;
  params: unknown;
  /** Answers and existence labels: kept here, never sent anywhere. */
  groundTruth: unknown;
  contextSha256: string;
  /** The full cache's accuracy on this kind (calibration), stored beside every score. */
  fullAccuracy: number | null;
  scheduledAt: number;
}

export type ResultOutcome = "ok" | "refused" | "rate_limited" | "failed";

export interface ResultRecord {
  challengeId: string;
  outcome: ResultOutcome;
  /** A REFUSAL_REASONS code (ts/validator/verify) or another stable code; null when ok. */
  refusalCode?: string | null;
  detail?: string | null;
  accuracy?: number | null;
  /** Challenge score s in [0, 1]; 0 for anything but ok. */
  score: number;
  keptTokens?: number | null;
  originalTokens?: number | null;
  seconds?: number | null;
  /** Milliseconds per query stage (ts/validator/schedule/timings.ts), stored as results.timings_json. */
  timings?: Readonly<Record<string, number | undefined>> | null;
  /** False for an outcome that counts toward the period counters but not the EMA (an unsampled organic success). */
  scored?: boolean;
  /** What the decoder answered from the container, per question, and the verdicts (results.answers_json). */
  decoded?: { answers: readonly string[]; verdicts: readonly boolean[] } | null;
}

export interface ScoreRow {
  hotkey: string;
  tier: string;
  uid: number;
  ema: number;
  n: number;
  updatedAt: number;
}

export interface WeightsRecord {
  periodId?: number | null;
  block?: number | null;
  mode: "set" | "commit";
  status: "computed" | "submitted" | "failed";
  uids: readonly number[];
  weights: readonly number[];
  detail?: string | null;
}

export interface PendingCommit {
  commitHash: string;
  kind: "hash" | "timelock";
  netuid: number;
  uids: number[];
  weights: number[];
  salt: number[];
  versionKey: number;
  commitBlock: number;
  /** Block (hash commits) or drand round (timelock) after which the reveal is due. */
  revealAfter: number;
}

// Rows come back untyped from SQLite; each reader below maps the columns its own SELECT names.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Row = Record<string, any>;

const MAX_DETAIL = 1_000;
const clip = (s: string | null | undefined) => (s == null ? null : s.length > MAX_DETAIL ? `${s.slice(0, MAX_DETAIL)}...` : s);
/** Decoder answers kept per result: a few questions, each clipped (they are model output from a miner's cache). */
const MAX_DECODED = 32;
const decodedJson = (d: ResultRecord["decoded"]) =>
  d ? JSON.stringify({ answers: d.answers.slice(0, MAX_DECODED).map((a) => clip(String(a))), verdicts: d.verdicts.slice(0, MAX_DECODED).map(Boolean) }) : null;

export class ValidatorState {
  readonly db: Database.Database;
  private readonly now: () => number;

  constructor(file: string, options: Partial<StateOptions> = {}, now: () => number = Date.now) {
    const o = { ...DEFAULT_STATE_OPTIONS, ...options };
    this.now = now;
    this.db = new Database(file, { readonly: o.readonly, timeout: o.busyTimeoutMs });
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(o.busyTimeoutMs))}`);
    if (!o.readonly) this.db.pragma("journal_mode = WAL");
    this.db.pragma(`synchronous = ${o.synchronous}`);
    this.db.pragma("foreign_keys = ON");
    if (o.readonly) this.checkVersion();
    else migrate(this.db, MIGRATIONS);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  schemaVersion(): number {
    return currentVersion(this.db);
  }

  private checkVersion(): void {
    const v = currentVersion(this.db);
    const latest = MIGRATIONS[MIGRATIONS.length - 1]!.version;
    if (v > latest) throw new StateError("SCHEMA_TOO_NEW", `database schema ${v} is newer than this code's ${latest}`);
  }

  // ---- periods and contenders ----

  /** Opens the period (idempotent: the same id opened again keeps its first row). */
  openPeriod(id: number, startedAt: number, endsAt: number): PeriodRow {
    this.db.prepare("INSERT INTO periods (id, started_at, ends_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING").run(id, startedAt, endsAt);
    return this.period(id)!;
  }

  period(id: number): PeriodRow | undefined {
    const r = this.db.prepare("SELECT id, started_at, ends_at, closed_at FROM periods WHERE id = ?").get(id) as
      | { id: number; started_at: number; ends_at: number; closed_at: number | null }
      | undefined;
    return r && { id: r.id, startedAt: r.started_at, endsAt: r.ends_at, closedAt: r.closed_at };
  }

  /** Periods not yet closed, oldest first: what a restarted validator must finish. */
  openPeriods(): PeriodRow[] {
    return (this.db.prepare("SELECT id FROM periods WHERE closed_at IS NULL ORDER BY id").all() as { id: number }[]).map((r) => this.period(r.id)!);
  }

  /**
   * Writes the period's contenders. A contender planned again (after a restart) keeps its counters; its
   * plan is updated to the new one. One transaction.
   */
  upsertContenders(periodId: number, plans: readonly ContenderPlan[]): void {
    const up = this.db.prepare(
      `INSERT INTO contenders (period_id, hotkey, tier, uid, declared_capacity, budget, capacity, test_share, planned)
       VALUES (@periodId, @hotkey, @tier, @uid, @declaredCapacity, @budget, @capacity, @testShare, @planned)
       ON CONFLICT (period_id, hotkey, tier) DO UPDATE SET uid = excluded.uid, declared_capacity = excluded.declared_capacity,
         budget = excluded.budget, capacity = excluded.capacity, test_share = excluded.test_share, planned = excluded.planned`,
    );
    this.db
      .transaction(() => {
        this.requireOpen(periodId);
        for (const p of plans) up.run({ periodId, ...p });
      })
      .immediate();
  }

  contenders(periodId: number): ContenderRow[] {
    const rows = this.db.prepare("SELECT * FROM contenders WHERE period_id = ? ORDER BY tier, hotkey").all(periodId) as Row[];
    return rows.map((r) => ({
      periodId: r.period_id,
      hotkey: r.hotkey,
      tier: r.tier,
      uid: r.uid,
      declaredCapacity: r.declared_capacity,
      budget: r.budget,
      capacity: r.capacity,
      testShare: r.test_share,
      planned: r.planned,
      total: r.total,
      consumed: r.consumed,
      n429: r.n429,
      n5xx: r.n5xx,
    }));
  }

  private requireOpen(periodId: number): void {
    const p = this.period(periodId);
    if (!p) throw new StateError("UNKNOWN_PERIOD", `period ${periodId} was never opened`);
    if (p.closedAt !== null) throw new StateError("PERIOD_CLOSED", `period ${periodId} is closed`);
  }

  // ---- challenges and results ----

  /** Logs a challenge before it is sent. Returns false when it was already logged (same seed and params). */
  logChallenge(c: ChallengeLog): boolean {
    const params = JSON.stringify(c.params);
    return this.db
      .transaction(() => {
        const had = this.db.prepare("SELECT seed, params_json FROM challenges WHERE id = ?").get(c.id) as { seed: string; params_json: string } | undefined;
        if (had) {
          if (had.seed !== c.seed || had.params_json !== params) throw new StateError("CONFLICT", `challenge ${c.id} was logged with another seed or params`);
          return false;
        }
        this.requireOpen(c.periodId);
        const known = this.db.prepare("SELECT 1 FROM contenders WHERE period_id = ? AND hotkey = ? AND tier = ?").get(c.periodId, c.hotkey, c.tier);
        if (!known) throw new StateError("UNKNOWN_CONTENDER", `${c.hotkey}/${c.tier} is not a contender of period ${c.periodId}`);
        this.db
          .prepare(
            `INSERT INTO challenges (id, period_id, hotkey, tier, uid, origin, kind, seed, params_json, ground_truth_json, context_sha256, full_accuracy, scheduled_at, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(c.id, c.periodId, c.hotkey, c.tier, c.uid, c.origin, c.kind, c.seed, params, JSON.stringify(c.groundTruth), c.contextSha256, c.fullAccuracy, c.scheduledAt, this.now());
        return true;
      })
      .immediate();
  }

  challenge(id: string): ChallengeLog | undefined {
    const r = this.db.prepare("SELECT * FROM challenges WHERE id = ?").get(id) as Row | undefined;
    if (!r) return undefined;
    return {
      id: r.id,
      periodId: r.period_id,
      hotkey: r.hotkey,
      tier: r.tier,
      uid: r.uid,
      origin: r.origin as "synthetic" | "organic",
      kind: r.kind,
      seed: r.seed,
      params: JSON.parse(r.params_json),
      groundTruth: JSON.parse(r.ground_truth_json),
      contextSha256: r.context_sha256,
      fullAccuracy: r.full_accuracy,
      scheduledAt: r.scheduled_at,
    };
  }

  /** Logged challenges of a period that have no result yet: what a restart re-sends or re-scores. */
  unfinishedChallenges(periodId: number): string[] {
    return (
      this.db.prepare("SELECT c.id FROM challenges c LEFT JOIN results r ON r.challenge_id = c.id WHERE c.period_id = ? AND r.challenge_id IS NULL ORDER BY c.scheduled_at, c.id").all(periodId) as {
        id: string;
      }[]
    ).map((r) => r.id);
  }

  /**
   * Records the outcome of a challenge and, only if this is its first record, counts it: the contender's
   * period counters (ok -> consumed, rate_limited -> n429, refused/failed -> n5xx) and its EMA (a 429 leaves
   * the EMA alone; refused and failed count as 0). One transaction; returns false when already recorded.
   */
  recordResult(r: ResultRecord, emaAlpha: number = DEFAULT_CHALLENGE_SCORE_CONFIG.emaAlpha): boolean {
    return this.db
      .transaction(() => {
        const c = this.db.prepare("SELECT period_id, hotkey, tier, uid, full_accuracy FROM challenges WHERE id = ?").get(r.challengeId) as
          | { period_id: number; hotkey: string; tier: string; uid: number; full_accuracy: number | null }
          | undefined;
        if (!c) throw new StateError("UNKNOWN_CHALLENGE", `no challenge ${r.challengeId}`);
        if (this.db.prepare("SELECT 1 FROM results WHERE challenge_id = ?").get(r.challengeId)) return false;
        this.requireOpen(c.period_id);
        const score = r.outcome === "ok" ? Math.min(1, Math.max(0, Number.isFinite(r.score) ? r.score : 0)) : 0;
        const now = this.now();
        this.db
          .prepare(
            `INSERT INTO results (challenge_id, period_id, hotkey, tier, outcome, refusal_code, detail, accuracy, full_accuracy, score, kept_tokens, original_tokens, seconds, recorded_at, timings_json, answers_json)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
            r.challengeId,
            c.period_id,
            c.hotkey,
            c.tier,
            r.outcome,
            r.refusalCode ?? null,
            clip(r.detail),
            r.accuracy ?? null,
            c.full_accuracy,
            score,
            r.keptTokens ?? null,
            r.originalTokens ?? null,
            r.seconds ?? null,
          now,
            r.timings ? JSON.stringify(r.timings) : null,
            decodedJson(r.decoded),
          );
        const col = r.outcome === "ok" ? "consumed" : r.outcome === "rate_limited" ? "n429" : "n5xx";
        this.db.prepare(`UPDATE contenders SET total = total + 1, ${col} = ${col} + 1 WHERE period_id = ? AND hotkey = ? AND tier = ?`).run(c.period_id, c.hotkey, c.tier);
        if (r.outcome !== "rate_limited" && r.scored !== false) {
          const old = this.db.prepare("SELECT ema FROM scores WHERE hotkey = ? AND tier = ?").get(c.hotkey, c.tier) as { ema: number } | undefined;
          const ema = emaUpdate(old?.ema ?? 0, score, emaAlpha);
          this.db
            .prepare(
              `INSERT INTO scores (hotkey, tier, uid, ema, n, updated_at) VALUES (?, ?, ?, ?, 1, ?)
               ON CONFLICT (hotkey, tier) DO UPDATE SET uid = excluded.uid, ema = excluded.ema, n = n + 1, updated_at = excluded.updated_at`,
            )
            .run(c.hotkey, c.tier, c.uid, ema, now);
        }
        return true;
      })
      .immediate();
  }

  resultCounts(periodId?: number): Record<ResultOutcome, number> {
    const rows = (
      periodId === undefined
        ? this.db.prepare("SELECT outcome, COUNT(*) AS n FROM results GROUP BY outcome").all()
        : this.db.prepare("SELECT outcome, COUNT(*) AS n FROM results WHERE period_id = ? GROUP BY outcome").all(periodId)
    ) as { outcome: ResultOutcome; n: number }[];
    const out: Record<ResultOutcome, number> = { ok: 0, refused: 0, rate_limited: 0, failed: 0 };
    for (const r of rows) out[r.outcome] = r.n;
    return out;
  }

  /** Per-stage timings of recorded results (newest first), optionally of one period: what the localnet benchmark sums. */
  resultTimings(periodId?: number): Array<{ hotkey: string; tier: string; outcome: ResultOutcome; timings: Record<string, number> }> {
    const rows = (
      periodId === undefined
        ? this.db.prepare("SELECT hotkey, tier, outcome, timings_json FROM results WHERE timings_json IS NOT NULL ORDER BY recorded_at DESC").all()
        : this.db.prepare("SELECT hotkey, tier, outcome, timings_json FROM results WHERE timings_json IS NOT NULL AND period_id = ? ORDER BY recorded_at DESC").all(periodId)
    ) as { hotkey: string; tier: string; outcome: ResultOutcome; timings_json: string }[];
    return rows.map((r) => ({ hotkey: r.hotkey, tier: r.tier, outcome: r.outcome, timings: JSON.parse(r.timings_json) as Record<string, number> }));
  }

  /** Refusals per code for one contender (what logs and the operator see per miner). */
  refusals(hotkey: string, tier?: string): Record<string, number> {
    const rows = (
      tier === undefined
        ? this.db.prepare("SELECT refusal_code AS code, COUNT(*) AS n FROM results WHERE hotkey = ? AND refusal_code IS NOT NULL GROUP BY refusal_code").all(hotkey)
        : this.db.prepare("SELECT refusal_code AS code, COUNT(*) AS n FROM results WHERE hotkey = ? AND tier = ? AND refusal_code IS NOT NULL GROUP BY refusal_code").all(hotkey, tier)
    ) as { code: string; n: number }[];
    return Object.fromEntries(rows.map((r) => [r.code, r.n]));
  }

  scores(tier?: string): ScoreRow[] {
    const rows = (tier === undefined ? this.db.prepare("SELECT * FROM scores ORDER BY tier, hotkey").all() : this.db.prepare("SELECT * FROM scores WHERE tier = ? ORDER BY hotkey").all(tier)) as {
      hotkey: string;
      tier: string;
      uid: number;
      ema: number;
      n: number;
      updated_at: number;
    }[];
    return rows.map((r) => ({ hotkey: r.hotkey, tier: r.tier, uid: r.uid, ema: r.ema, n: r.n, updatedAt: r.updated_at }));
  }

  /** A miner's tier changed or it deregistered: forget its EMA so the next one starts from 0. */
  resetScore(hotkey: string, tier: string): void {
    this.db.prepare("DELETE FROM scores WHERE hotkey = ? AND tier = ?").run(hotkey, tier);
  }

  // ---- period close ----

  /**
   * Closes a period in one transaction: each contender's period score into period_history, then the
   * period marked closed. Closing a closed period does nothing and returns false.
   */
  closePeriod(periodId: number, errorExponent: number = DEFAULT_PERIOD_SCORE_CONFIG.errorExponent): boolean {
    return this.db
      .transaction(() => {
        const p = this.period(periodId);
        if (!p) throw new StateError("UNKNOWN_PERIOD", `period ${periodId} was never opened`);
        if (p.closedAt !== null) return false;
        const ins = this.db.prepare(
          `INSERT INTO period_history (period_id, hotkey, tier, uid, capacity, consumed, total, n429, n5xx, period_score)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        );
        for (const c of this.contenders(periodId)) {
          const ps = periodScore(c, { errorExponent });
          ins.run(periodId, c.hotkey, c.tier, c.uid, c.capacity, c.consumed, c.total, c.n429, c.n5xx, ps);
        }
        this.db.prepare("UPDATE periods SET closed_at = ? WHERE id = ?").run(this.now(), periodId);
        return true;
      })
      .immediate();
  }

  /** Closed periods of one contender, newest first, as decayedPeriodAverage takes them. */
  periodHistory(hotkey: string, tier: string, limit = 16): PeriodHistoryEntry[] {
    return (
      this.db.prepare("SELECT period_score, consumed FROM period_history WHERE hotkey = ? AND tier = ? ORDER BY period_id DESC LIMIT ?").all(hotkey, tier, limit) as {
        period_score: number | null;
        consumed: number;
      }[]
    ).map((r) => ({ score: r.period_score, consumed: r.consumed }));
  }

  // ---- weights and commits ----

  recordWeights(w: WeightsRecord): number {
    const info = this.db
      .prepare("INSERT INTO weights_history (computed_at, period_id, block, mode, status, uids_json, weights_json, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
      .run(this.now(), w.periodId ?? null, w.block ?? null, w.mode, w.status, JSON.stringify(w.uids), JSON.stringify(w.weights), clip(w.detail));
    return Number(info.lastInsertRowid);
  }

  weightsHistory(limit = 50): Array<WeightsRecord & { id: number; computedAt: number }> {
    return (this.db.prepare("SELECT * FROM weights_history ORDER BY id DESC LIMIT ?").all(limit) as Row[]).map((r) => ({
      id: r.id,
      computedAt: r.computed_at,
      periodId: r.period_id,
      block: r.block,
      mode: r.mode as "set" | "commit",
      status: r.status as "computed" | "submitted" | "failed",
      uids: JSON.parse(r.uids_json),
      weights: JSON.parse(r.weights_json),
      detail: r.detail,
    }));
  }

  /** Persists a commit before it is submitted, so a restart can reveal it. Idempotent by hash. */
  addPendingCommit(c: PendingCommit): boolean {
    const info = this.db
      .prepare(
        `INSERT INTO pending_commits (commit_hash, kind, netuid, uids_json, weights_json, salt_json, version_key, commit_block, reveal_after, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (commit_hash) DO NOTHING`,
      )
      .run(c.commitHash, c.kind, c.netuid, JSON.stringify(c.uids), JSON.stringify(c.weights), JSON.stringify(c.salt), c.versionKey, c.commitBlock, c.revealAfter, this.now());
    return info.changes === 1;
  }

  /** Commits not yet revealed, oldest first. */
  pendingCommits(): PendingCommit[] {
    return (this.db.prepare("SELECT * FROM pending_commits WHERE revealed_at IS NULL ORDER BY commit_block, commit_hash").all() as Row[]).map((r) => ({
      commitHash: r.commit_hash,
      kind: r.kind as "hash" | "timelock",
      netuid: r.netuid,
      uids: JSON.parse(r.uids_json),
      weights: JSON.parse(r.weights_json),
      salt: JSON.parse(r.salt_json),
      versionKey: r.version_key,
      commitBlock: r.commit_block,
      revealAfter: r.reveal_after,
    }));
  }

  // ---- validator secret ----

  /**
   * The validator's challenge secret, made on first use (32 random bytes, or `initial`: a reproducible run) and
   * kept from then on: a later `initial` never replaces it.
   */
  secret(initial?: Buffer): Buffer {
    this.db.prepare("INSERT INTO validator_meta (key, value) VALUES ('challenge_secret', ?) ON CONFLICT (key) DO NOTHING").run((initial ?? randomBytes(32)).toString("hex"));
    return Buffer.from((this.db.prepare("SELECT value FROM validator_meta WHERE key = 'challenge_secret'").get() as { value: string }).value, "hex");
  }

  /** A named JSON value kept across restarts (e.g. the calibration table of a model); undefined when unset. */
  meta<T>(key: string): T | undefined {
    const r = this.db.prepare("SELECT value FROM validator_meta WHERE key = ?").get(key) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as T) : undefined;
  }

  setMeta(key: string, value: unknown): void {
    if (key === "challenge_secret") throw new StateError("CONFLICT", "the challenge secret is never overwritten");
    this.db.prepare("INSERT INTO validator_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, JSON.stringify(value));
  }

  markRevealed(commitHash: string, revealBlock: number | null): boolean {
    return this.db.prepare("UPDATE pending_commits SET revealed_at = ?, reveal_block = ? WHERE commit_hash = ? AND revealed_at IS NULL").run(this.now(), revealBlock, commitHash).changes === 1;
  }
}

function currentVersion(db: Database.Database): number {
  const t = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (!t) return 0;
  return (db.prepare("SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations").get() as { v: number }).v;
}

/** Applies pending migrations; each runs in an IMMEDIATE transaction so two processes never both migrate. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  for (const m of migrations) {
    db.transaction(() => {
      if (db.prepare("SELECT 1 FROM schema_migrations WHERE version = ?").get(m.version)) return;
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, Date.now());
    }).immediate();
  }
  const v = currentVersion(db);
  if (v > latest) throw new StateError("SCHEMA_TOO_NEW", `database schema ${v} is newer than this code's ${latest}`);
  return v;
}

/** Opens (creating and migrating when needed) the validator's database. */
export function openValidatorState(file: string, options: Partial<StateOptions> = {}, now?: () => number): ValidatorState {
  return new ValidatorState(file, options, now);
}
