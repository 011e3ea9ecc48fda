// Where one query's time goes, stage by stage, and the summary over many queries that names the slowest stage.
// Recorded with each result (results.timings_json) so a benchmark or an operator can see it after the fact.

/** The validator-side stages of one synthetic query, in the order they run. */
export const QUERY_STAGES = ["challenge", "miner", "download", "verify", "evaluate", "score"] as const;
export type QueryStage = (typeof QUERY_STAGES)[number];

/**
 * Milliseconds per stage of one query; a stage the query never reached is absent. `miner` is the whole
 * dendrite round trip (the miner's queue, compute, signing and upload, plus the network); `evaluate`
 * includes the wait for its batch to fill.
 */
export type StageTimings = Partial<Record<QueryStage, number>>;

/** Measures consecutive stages: each `mark` closes the stage running since the previous one. */
export class StageClock {
  readonly timings: StageTimings = {};
  #last = performance.now();

  mark(stage: QueryStage): void {
    const now = performance.now();
    this.timings[stage] = (this.timings[stage] ?? 0) + (now - this.#last);
    this.#last = now;
  }

  /** Starts the next stage now without charging the time since the last mark to any stage. */
  skip(): void {
    this.#last = performance.now();
  }
}

export interface StageStat {
  stage: string;
  /** Queries that reached the stage. */
  n: number;
  mean_ms: number;
  p50_ms: number;
  p95_ms: number;
  total_ms: number;
  /** This stage's share of the total time of every stage. */
  share: number;
}

export interface StageSummary {
  stages: StageStat[];
  /** The stage with the largest total time, or null with no timings. */
  slowest: string | null;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  if (!sorted.length) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/**
 * Per-stage count, mean, p50, p95, total and share over `rows` (each a stage -> ms map); stages are listed
 * in `order` first, then any others in the order first seen. Non-finite or negative values are refused.
 */
export function summarizeStages(rows: ReadonlyArray<Readonly<Record<string, number | undefined>>>, order: readonly string[] = QUERY_STAGES): StageSummary {
  const values = new Map<string, number[]>(order.map((s) => [s, []]));
  for (const row of rows)
    for (const [stage, v] of Object.entries(row)) {
      if (v === undefined) continue;
      if (!Number.isFinite(v) || v < 0) throw new RangeError(`stage ${stage}: ${v} is not a duration in ms`);
      if (!values.has(stage)) values.set(stage, []);
      values.get(stage)!.push(v);
    }
  const totals = [...values.values()].map((xs) => xs.reduce((a, b) => a + b, 0));
  const all = totals.reduce((a, b) => a + b, 0);
  const stages: StageStat[] = [...values.entries()].map(([stage, xs], i) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const total = totals[i]!;
    return { stage, n: xs.length, mean_ms: xs.length ? total / xs.length : 0, p50_ms: percentile(sorted, 50), p95_ms: percentile(sorted, 95), total_ms: total, share: all > 0 ? total / all : 0 };
  });
  const slowest = all > 0 ? stages.reduce((a, b) => (b.total_ms > a.total_ms ? b : a)).stage : null;
  return { stages, slowest };
}
