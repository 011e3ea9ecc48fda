"""The `condense eval` plot: share of full and read-back against the kept fraction, one line per algorithm.

    .venv/bin/python scripts/eval/plot.py RESULTS.json OUT.png

Reads the JSON report `condense eval` writes (ts/eval/types.ts EvalReport) and draws two panels: left, each
configuration's share of the full cache's right answers; right, the share of the context's tokens the model
reproduced when asked to repeat it (the full cache is the reference point at kept fraction 1)."""
from __future__ import annotations

import json
import sys
from collections import defaultdict


def main(src: str, dst: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    with open(src, encoding="utf-8") as f:
        report = json.load(f)
    rows = report["rows"]
    full = next(r for r in rows if r["config"] == "full")
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.6))
    series: dict[str, list[tuple[float, float | None, float | None]]] = defaultdict(list)
    for r in rows:
        if r["config"] == "full" or r["keptFraction"] is None:
            continue
        rb = r["readback"]["tokenRecall"] if r["readback"] else None
        series[r["algorithm"] if r["source"] == "local" else r["config"]].append((r["keptFraction"], r["shareOfFull"], rb))
    for name, pts in sorted(series.items()):
        pts.sort()
        marker = "*" if name.startswith("miner:") else "o"
        share = [(x, s) for x, s, _ in pts if s is not None]
        if share:
            left.plot([p[0] for p in share], [p[1] for p in share], marker=marker, label=name)
        back = [(x, b) for x, _, b in pts if b is not None]
        if back:
            right.plot([p[0] for p in back], [p[1] for p in back], marker=marker, label=name)
    left.axhline(1.0, color="grey", lw=0.8, ls="--")
    left.set_ylim(-0.02, 1.05)
    left.set_xlim(0, 1.05)
    left.set_xlabel("kept fraction of context tokens")
    left.set_ylabel(f"share of full's right answers (full answered {full['fullCorrect']}/{full['questions']})")
    left.set_title("quality (validator's verdicts)")
    if full["readback"]:
        right.plot([1.0], [full["readback"]["tokenRecall"]], marker="s", color="black", ls="none", label="full")
    right.set_ylim(-0.02, 1.05)
    right.set_xlim(0, 1.05)
    right.set_xlabel("kept fraction of context tokens")
    right.set_ylabel("context tokens reproduced (clipped recall)")
    right.set_title('read-back: "Repeat the context above verbatim."')
    for ax in (left, right):
        ax.grid(alpha=0.3)
    handles, labels = left.get_legend_handles_labels()
    h2, l2 = right.get_legend_handles_labels()
    for h, lab in zip(h2, l2):
        if lab not in labels:
            handles.append(h)
            labels.append(lab)
    fig.legend(handles, labels, fontsize=7, loc="center right")
    g = report["grid"]
    fig.suptitle(f"{report['workerModel']} · tier {report['tier']} · kinds {', '.join(g['kinds'])} · "
                 f"lengths {', '.join(map(str, g['lengths']))} chars · {g['samples']} challenge(s) each", fontsize=9)
    fig.tight_layout(rect=(0, 0, 0.86, 0.95))
    fig.savefig(dst, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: plot.py RESULTS.json OUT.png")
    main(sys.argv[1], sys.argv[2])
