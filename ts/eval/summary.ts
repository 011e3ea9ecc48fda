// Per-configuration (and per kind x length) aggregates of the challenge records. Share of full is counted per
// question: of the questions the full cache answered on a challenge, how many this configuration answered too.
import type { ChallengeRecord, Config, Summary } from "./types.js";

const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export function summarize(config: Config, records: readonly ChallengeRecord[], kind: string | null = null, length: number | null = null): Summary {
  const rs = records.filter((r) => r.config === config.name && (kind === null || r.kind === kind) && (length === null || r.length === length));
  const ok = rs.filter((r) => r.outcome === "ok");
  const codes = new Map<string, number>();
  for (const r of rs) if (r.code) codes.set(r.code, (codes.get(r.code) ?? 0) + 1);
  let fullCorrect = 0;
  let correctWhereFull = 0;
  let questions = 0;
  let correct = 0;
  for (const r of rs) {
    questions += r.fullCorrect.length;
    correct += r.correct.filter(Boolean).length;
    r.fullCorrect.forEach((f, i) => {
      if (!f) return;
      fullCorrect++;
      if (r.correct[i] === true) correctWhereFull++;
    });
  }
  const rb = rs.flatMap((r) => (r.readback ? [r.readback] : []));
  const kept = ok.flatMap((r) => (r.keptTokens !== null ? [r.keptTokens] : []));
  const fractions = ok.flatMap((r) => (r.keptTokens !== null && r.originalTokens ? [r.keptTokens / r.originalTokens] : []));
  return {
    config: config.name,
    algorithm: config.algorithm,
    ratio: config.ratio,
    source: config.source,
    kind,
    length,
    challenges: rs.length,
    ok: ok.length,
    refused: rs.filter((r) => r.outcome === "refused").length,
    failed: rs.filter((r) => r.outcome === "failed" || r.outcome === "rate_limited").length,
    topCode: [...codes].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null,
    questions,
    correct,
    accuracy: mean(rs.map((r) => r.accuracy)),
    score: mean(rs.map((r) => r.score)),
    fullCorrect,
    correctWhereFull,
    shareOfFull: fullCorrect ? correctWhereFull / fullCorrect : null,
    keptTokens: kept.length ? mean(kept) : null,
    keptFraction: fractions.length ? mean(fractions) : null,
    readback: rb.length
      ? {
          n: rb.length,
          tokenRecall: mean(rb.map((x) => x.tokenRecall)),
          longestRun: mean(rb.map((x) => x.longestRun)),
          longestRunShare: mean(rb.map((x) => x.longestRunShare)),
          contextTokens: mean(rb.map((x) => x.contextTokens)),
          capped: rb.filter((x) => x.maxNewTokens < x.contextTokens).length,
        }
      : null,
  };
}
