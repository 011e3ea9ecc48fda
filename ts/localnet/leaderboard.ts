// The localnet's terminal leaderboard: one row per miner from the validator's state (latest closed period)
// and the weights the validator has on chain.
import type { DevChain } from "../chain/devchain.js";
import type { ValidatorState } from "../validator/state/index.js";

export interface BoardRow {
  uid: number;
  name: string;
  algorithm: string;
  tier: string | null;
  capacity: number | null;
  /** Period score of the latest closed period (reliability x capacity use), null when not a contender. */
  periodScore: number | null;
  /** Quality EMA over scored challenges. */
  quality: number | null;
  /** Mean of accuracy / full-cache accuracy over the period's answered challenges where the full cache scores. */
  shareOfFull: number | null;
  /** Challenges answered / refused / failed in the period, and the most frequent refusal code. */
  ok: number;
  refused: number;
  failed: number;
  topRefusal: string | null;
  /** Share of the validator's weight row on chain. */
  weight: number;
}

export function leaderboard(d: { chain: DevChain; netuid: number; validatorUid: number; state: ValidatorState; miners: ReadonlyArray<{ uid: number; hotkey: string; name: string; algorithm: string }> }): BoardRow[] {
  const db = d.state.db;
  const latest = (db.prepare("SELECT MAX(id) AS id FROM periods WHERE closed_at IS NOT NULL").get() as { id: number | null }).id;
  const row = d.chain.weightsOf(d.netuid, d.validatorUid);
  const sum = row.reduce((a, [, w]) => a + w, 0);
  const weight = new Map(row.map(([u, w]) => [u, sum ? w / sum : 0]));
  const ema = new Map(d.state.scores().map((s) => [s.hotkey, s.ema]));
  return d.miners
    .map((m): BoardRow => {
      const h = latest === null ? undefined : (db.prepare("SELECT tier, capacity, period_score AS s FROM period_history WHERE period_id = ? AND hotkey = ? ORDER BY tier LIMIT 1").get(latest, m.hotkey) as { tier: string; capacity: number; s: number | null } | undefined);
      const counts = latest === null ? [] : (db.prepare("SELECT outcome, refusal_code AS code, COUNT(*) AS n FROM results WHERE period_id = ? AND hotkey = ? GROUP BY outcome, refusal_code ORDER BY n DESC").all(latest, m.hotkey) as Array<{ outcome: string; code: string | null; n: number }>);
      const share = latest === null ? undefined : (db.prepare("SELECT AVG(MIN(accuracy / full_accuracy, 1.0)) AS s FROM results WHERE period_id = ? AND hotkey = ? AND outcome = 'ok' AND full_accuracy > 0 AND accuracy IS NOT NULL").get(latest, m.hotkey) as { s: number | null } | undefined);
      const n = (o: string) => counts.filter((c) => c.outcome === o).reduce((a, c) => a + c.n, 0);
      return {
        uid: m.uid,
        name: m.name,
        algorithm: m.algorithm,
        tier: h?.tier ?? null,
        capacity: h?.capacity ?? null,
        periodScore: h?.s ?? null,
        quality: ema.get(m.hotkey) ?? null,
        shareOfFull: share?.s ?? null,
        ok: n("ok"),
        refused: n("refused"),
        failed: n("failed") + n("rate_limited"),
        topRefusal: counts.find((c) => c.outcome === "refused")?.code ?? null,
        weight: weight.get(m.uid) ?? 0,
      };
    })
    .sort((a, b) => b.weight - a.weight || a.uid - b.uid);
}

const num = (x: number | null, digits = 3) => (x === null ? "-" : x.toFixed(digits));

/** The leaderboard as a fixed-width table. */
export function formatBoard(rows: readonly BoardRow[], title: string): string {
  const head = ["uid", "miner", "algorithm", "tier", "cap", "period", "quality", "of full", "ok/ref/fail", "weight", "refusal"];
  const body = rows.map((r) => [String(r.uid), r.name, r.algorithm, r.tier ?? "-", r.capacity === null ? "-" : String(r.capacity), num(r.periodScore), num(r.quality), r.shareOfFull === null ? "-" : `${(100 * r.shareOfFull).toFixed(0)}%`, `${r.ok}/${r.refused}/${r.failed}`, num(r.weight), r.topRefusal ?? ""]);
  const width = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 || (i >= 4 && i <= 9) ? c.padStart(width[i]!) : c.padEnd(width[i]!))).join("  ").trimEnd();
  return [title, line(head), width.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}
