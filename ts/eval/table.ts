// The terminal table: one row per configuration (full first), then per kind x length when the grid has several.
import type { EvalReport, Summary } from "./types.js";

const f3 = (x: number | null | undefined) => (x === null || x === undefined ? "-" : x.toFixed(3));

function row(s: Summary): string[] {
  const share = s.shareOfFull === null ? "-" : `${s.shareOfFull.toFixed(3)} (${s.correctWhereFull}/${s.fullCorrect})`;
  const misses = s.refused + s.failed ? `${s.refused + s.failed}${s.topCode ? ` ${s.topCode}` : ""}` : "0";
  return [
    s.config,
    ...(s.kind !== null ? [s.kind, String(s.length)] : []),
    `${s.ok}/${s.challenges}`,
    misses,
    `${s.correct}/${s.questions}`,
    f3(s.accuracy),
    f3(s.score),
    share,
    s.keptTokens === null ? "-" : s.keptTokens.toFixed(0),
    f3(s.keptFraction),
    s.readback ? f3(s.readback.tokenRecall) : "-",
    s.readback ? `${s.readback.longestRun.toFixed(0)} (${f3(s.readback.longestRunShare)})` : "-",
  ];
}

/** Pads columns to their widest cell (a table library is not a dependency; this is all it would do here). */
export function formatColumns(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

const HEAD = ["answered", "misses", "right", "accuracy", "score", "share of full", "kept", "kept frac", "read-back", "longest run"];

export function formatTable(r: EvalReport): string {
  const parts = [formatColumns(["config", ...HEAD], r.rows.map(row))];
  if (r.grid.kinds.length * r.grid.lengths.length > 1) parts.push("", formatColumns(["config", "kind", "length", ...HEAD], r.cells.map(row)));
  const notes = [
    `model ${r.workerModel}${r.standIn ? ` standing in for ${r.targetModel}` : ""}; tier ${r.tier}; ${r.grid.samples} challenge(s) x ${r.grid.questions} question(s) per kind x length; seed ${JSON.stringify(r.seed)}`,
    `existence check ${r.score.useExistence ? "ON" : "OFF"} (the full cache's existence score ${r.fullExistence.toFixed(3)}); share of full = right answers on the questions the full cache answers`,
    r.readbackPrompt ? "read-back = share of the context's tokens the model reproduces when asked to repeat it (longest run: tokens in one verbatim stretch, and its share of the context)" : "read-back not measured (--readback 0)",
  ];
  return `${parts.join("\n")}\n\n${notes.join("\n")}`;
}
