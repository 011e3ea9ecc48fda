"""Quality and cost of every exportable compression algorithm on the widened task set (SmolLM2-135M, CPU).

Tasks: seven kinds (needle_single, needle_multikey, kv_retrieval, single_fact, needle_decoys, lookalike_keys,
two_hop) over three filler sources (prose, report, nature), ~1k and ~2k tokens, answered with a strict checker
(`check_answer_strict`: the first number is the answer and nothing else is). For each task: ONE prefill
(attention inputs captured), KVzip's reconstruction scores and KVzap's surrogate scores once, every press
derived from them or scored by kvpress at both ratios, caches rounded through bf16 as the container stores
them (int8 rows are real int8 container files read back), then the question answered greedily; all caches
of one ratio are answered in one batched decode. Every press is reported as accuracy and as its share of
full on the tasks full answers (with the counts), per kind and per length, with its cost (seconds per task
for prefill, scoring and answering) and kept bytes. `full` (no compression) is always a row; `knorm` at
0.75 is the old subnet's reference miner. KVzap's linear surrogate is fitted on training seeds the evaluation never
uses, then refitted after each task with that task added (a task is never scored by a fit that saw it). A kvpress pipeline check runs snapkv and expected_attention through kvpress's own
`kv-press-text-generation` pipeline on the first tasks and compares the answers with ours.

    npm run bench -- quality [--quick] [--tasks N] [--tasks-2k N] [--budget-min M]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts" / "bench" / "lib"))
from report import report, target  # noqa: E402

from condense_worker.compress import (CompressParams, algorithm_scores, captured_prefill,  # noqa: E402
                                      derived_priority, select_from_prefill)
from condense_worker.compress.kvzap import KVzapFitter, kvzap_scores  # noqa: E402
from condense_worker.compress.structure import token_units  # noqa: E402
from condense_worker.container import export_legacy_npy, read_container, write_kv_container  # noqa: E402
from condense_worker.decoding import eos_token_ids  # noqa: E402
from condense_worker.evaluate import LoadedContext, greedy_same_question  # noqa: E402
from condense_worker.models import load_model  # noqa: E402
from condense_worker.tasks import chat_format, check_answer  # noqa: E402
from condense_worker.tasks.filler_sources import FILLERS  # noqa: E402
from condense_worker.tasks.widened import WIDENED_SET, check_answer_strict, generate_widened_task  # noqa: E402

RATIOS = (0.5, 0.75)
BASELINES = ("knorm", "snapkv", "expected_attention", "tova", "streaming_llm")
KVZIP_FAMILY = ("kvzip", "kvzip_shared", "kvzip_span", "kvzip_shared_span", "kvzip_sentence", "kvzip_chunkkv",
                "kvzip_entropy_chunkkv")
KVZAP_FAMILY = ("kvzap", "kvzap_span")
PRESSES = BASELINES + KVZIP_FAMILY + KVZAP_FAMILY
# int8 round trips of the structure-keeping presses and the plain KVzip ones (quick: two of them)
INT8_OF = ("kvzip_shared", "kvzip_span", "kvzip_shared_span", "kvzip_sentence")
INT8_QUICK = ("kvzip_shared", "kvzip_sentence")
KINDS = WIDENED_SET
FILLER_NAMES = tuple(FILLERS)
MAX_NEW_TOKENS = 12  # " 26451268 credits." is 12 tokens; longer replies are wrong anyway
SINK = CompressParams().sink_tokens


def bf16_round(layers):
    """What a bf16 container gives back to an fp32 model."""
    return [(k.to(torch.bfloat16).float(), v.to(torch.bfloat16).float()) for k, v in layers]


def container_bytes(layers, original: int, algorithm: str, dtype: str, tmp: str) -> tuple[int, list]:
    path = os.path.join(tmp, f"{algorithm}.{dtype}.safetensors")
    info = write_kv_container(path, layers, {"target_model": "smollm2", "original_tokens": original,
                                             "algorithm": algorithm, "params": {}, "context": "bench"}, dtype)
    back, _ = read_container(path, dequantize_to=torch.float32)
    os.unlink(path)
    return info.bytes, back


def task_plan(n1k: int, n2k: int, tok1k: int, tok2k: int, offset: int = 0) -> list[tuple[str, str, int, int]]:
    """(kind, filler, seed, tokens): kinds cycle fastest, then fillers, so 21 tasks cover every pair once. The
    long tasks are spread through the run (a time budget then cuts both lengths alike)."""
    short = [(KINDS[i % len(KINDS)], FILLER_NAMES[(i // len(KINDS)) % len(FILLER_NAMES)], 20_000 + offset + i, tok1k)
             for i in range(n1k)]
    # Few long tasks: the widened kinds first, every filler in turn.
    order = ("single_fact", "needle_decoys", "two_hop", "needle_multikey", "lookalike_keys", "kv_retrieval",
             "needle_single")
    long_ = [(order[i % len(order)], FILLER_NAMES[i % len(FILLER_NAMES)], 30_000 + offset + i, tok2k)
             for i in range(n2k)]
    every = max(1, (n1k + n2k) // max(1, n2k))
    out = []
    while short or long_:
        if long_ and (len(out) % every == every - 1 or not short):
            out.append(long_.pop(0))
        else:
            out.append(short.pop(0))
    return out


def answer_positions(ids: torch.Tensor, tok, answer: str) -> list[int]:
    """Context positions of the answer's digit tokens (its first occurrence)."""
    want = tok(answer, add_special_tokens=False).input_ids
    want = [t for t in want if tok.decode([t]).strip()]
    flat = ids[0].tolist()
    for s in range(len(flat) - len(want) + 1):
        if flat[s:s + len(want)] == want:
            return list(range(s, s + len(want)))
    return []


def fit_surrogate(model, tok, fmt, n: int, tokens: int) -> tuple[KVzapFitter, float]:
    """KVzap's surrogate statistics from seeds 90000+ (never evaluated): (fitter, seconds)."""
    t0 = time.perf_counter()
    fitter = KVzapFitter()
    for i in range(n):
        task = generate_widened_task(KINDS[i % len(KINDS)], 90_000 + i, tokens, FILLER_NAMES[i % len(FILLER_NAMES)],
                                     tokenizer=tok)
        ids = tok(task.formatted(fmt)[0], return_tensors="pt", add_special_tokens=False).input_ids
        pre = captured_prefill(model, ids, capture=True)
        fitter.add(pre, algorithm_scores(model, tok, pre, "kvzip", CompressParams(), kept=ids.shape[1]))
    return fitter, time.perf_counter() - t0


def kvpress_pipeline_check(model, tok, fmt, eos, plan, n_tasks: int, ratios) -> dict:
    """snapkv / expected_attention through kvpress's own pipeline vs our path (fp32, no container rounding):
    same prompt ids, same ratio; answers compared as strings, kept lengths compared."""
    from kvpress import ExpectedAttentionPress, SnapKVPress
    from transformers import DynamicCache, pipeline

    pipe = pipeline("kv-press-text-generation", model=model, tokenizer=tok, device=model.device)
    rows = []
    for kind, filler, seed, tokens in plan[:n_tasks]:
        task = generate_widened_task(kind, seed, tokens, filler, tokenizer=tok)
        context, question = task.formatted(fmt)
        ids = tok(context, return_tensors="pt", add_special_tokens=False).input_ids
        q_ids = tok(question, return_tensors="pt", add_special_tokens=False).input_ids
        pre_ids = pipe.preprocess(task.context, questions=["\n\n" + task.question], answer_prefix=task.answer_prefix,
                                  max_context_length=10 ** 9)
        same_prompt = torch.equal(pre_ids["context_ids"], ids) and torch.equal(pre_ids["questions_ids"][0], q_ids)
        T = int(ids.shape[1])
        pre = captured_prefill(model, ids, capture=True)
        for name, cls in (("snapkv", SnapKVPress), ("expected_attention", ExpectedAttentionPress)):
            for ratio in ratios:
                kept = max(1, int(T * (1 - ratio)))
                ours = select_from_prefill(model, tok, pre, name, CompressParams(), kept=kept)
                (reply,) = greedy_same_question(model, [LoadedContext(ours.layers, T)], q_ids, MAX_NEW_TOKENS, eos)
                ours_text = tok.decode(reply, skip_special_tokens=True)
                cache = DynamicCache()
                out = pipe(task.context, question="\n\n" + task.question, answer_prefix=task.answer_prefix,
                           press=cls(compression_ratio=ratio), max_new_tokens=MAX_NEW_TOKENS, cache=cache)
                theirs = out["answer"]
                rows.append({"task": f"{kind}/{filler}/{seed}", "press": name, "ratio": ratio, "same_prompt": same_prompt,
                             "ours": ours_text, "kvpress": theirs, "same_answer": ours_text.strip() == theirs.strip(),
                             "ours_kept": ours.kept_tokens, "kvpress_kept": int(cache.get_seq_length()),
                             "ours_correct": check_answer_strict(task, ours_text),
                             "kvpress_correct": check_answer_strict(task, theirs)})
                print(f"  kvpress check {kind}/{filler} {name}@{ratio}: ours {ours_text!r} kvpress {theirs!r}", flush=True)
        del pre
    agree = sum(r["same_answer"] for r in rows)
    return {"rows": rows, "agree": agree, "compared": len(rows),
            "kvpress_correct": sum(r["kvpress_correct"] for r in rows),
            "ours_correct": sum(r["ours_correct"] for r in rows)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--tasks", type=int, default=None, help="tasks of ~1k tokens")
    ap.add_argument("--tasks-2k", type=int, default=None, help="tasks of ~2k tokens")
    ap.add_argument("--tokens", type=int, default=None, help="length of the short tasks (default 1000)")
    ap.add_argument("--fit-contexts", type=int, default=None, help="contexts the KVzap surrogate is fitted on")
    ap.add_argument("--check-tasks", type=int, default=None, help="tasks run through kvpress's pipeline too")
    ap.add_argument("--seed-offset", type=int, default=0, help="shift every evaluation seed (development runs)")
    ap.add_argument("--budget-min", type=float, default=0.0,
                    help="stop starting new tasks after this many minutes (0 = none); the report says so")
    args = ap.parse_args()
    quick = args.quick
    n1k = args.tasks if args.tasks is not None else (1 if quick else 21)
    n2k = args.tasks_2k if args.tasks_2k is not None else (0 if quick else 7)
    tok1k = args.tokens or (300 if quick else 1000)
    tok2k = 2000
    n_fit = args.fit_contexts if args.fit_contexts is not None else (1 if quick else 2)
    n_check = args.check_tasks if args.check_tasks is not None else (1 if quick else 3)
    # 2 cores shared by several processes: one thread avoids OpenMP oversubscription.
    torch.set_num_threads(1)

    t0 = time.perf_counter()
    lm = load_model("smollm2")
    model, tok = lm.model, lm.tokenizer
    fmt = chat_format(tok)
    eos = eos_token_ids(model, tok)
    load_s = time.perf_counter() - t0
    plan = task_plan(n1k, n2k, tok1k, tok2k, args.seed_offset)
    int8_of = INT8_QUICK if quick else INT8_OF
    print(f"loaded SmolLM2-135M in {load_s:.1f}s; {n1k} tasks of ~{tok1k} and {n2k} of ~{tok2k} tokens; "
          f"kinds {', '.join(KINDS)}; fillers {', '.join(FILLER_NAMES)}", flush=True)

    fitter, fit_s = fit_surrogate(model, tok, fmt, n_fit, tok1k)
    print(f"KVzap surrogate fitted on {n_fit} contexts in {fit_s:.1f}s", flush=True)

    check = kvpress_pipeline_check(model, tok, fmt, eos, plan, n_check, RATIOS[:1] if quick else RATIOS)
    print(f"kvpress pipeline check: {check['agree']}/{check['compared']} identical answers", flush=True)

    # Per config: list of per-task records.
    records: dict[str, list[dict]] = defaultdict(list)
    timings: dict[str, list[float]] = defaultdict(list)
    scoring: dict[str, list[float]] = defaultdict(list)          # press -> seconds per task (per ratio)
    digits_kept: dict[str, list[float]] = defaultdict(list)
    kept_tokens: dict[str, list[int]] = defaultdict(list)
    sizes: dict[str, int] = {}
    lengths: list[int] = []
    tmp = tempfile.mkdtemp(prefix="condense-quality-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    params = CompressParams()

    stopped_early = None
    for i, (kind, filler, seed, tokens) in enumerate(plan):
        if args.budget_min and time.perf_counter() - t0 > args.budget_min * 60:
            stopped_early = f"time budget of {args.budget_min} min reached after {i} of {len(plan)} tasks"
            print(stopped_early, flush=True)
            break
        task = generate_widened_task(kind, seed, tokens, filler, tokenizer=tok)
        context, question = task.formatted(fmt)
        ids = tok(context, return_tensors="pt", add_special_tokens=False).input_ids
        q_ids = tok(question, return_tensors="pt", add_special_tokens=False).input_ids
        T = int(ids.shape[1])
        lengths.append(T)
        size_class = "1k" if tokens == tok1k else "2k"
        answer_pos = torch.tensor(answer_positions(ids, tok, task.answers[0]), dtype=torch.long)

        s = time.perf_counter()
        pre = captured_prefill(model, ids, capture=True)
        timings["prefill_s"].append(time.perf_counter() - s)
        s = time.perf_counter()
        kvzip = algorithm_scores(model, tok, pre, "kvzip", params, kept=T)
        timings["kvzip_scores_s"].append(time.perf_counter() - s)
        surrogate = fitter.model()  # fitted on the training contexts and the tasks before this one
        s = time.perf_counter()
        kvzap = kvzap_scores(model, pre, surrogate, SINK)
        timings["kvzap_scores_s"].append(time.perf_counter() - s)
        fitter.add(pre, kvzip)
        s = time.perf_counter()
        units = token_units(tok, ids)
        timings["token_units_s"].append(time.perf_counter() - s)

        def answer(name: str, reply_ids: list[int]) -> None:
            text = tok.decode(reply_ids, skip_special_tokens=True)
            records[name].append({"task": i, "kind": kind, "filler": filler, "size": size_class,
                                  "ok": check_answer_strict(task, text), "lenient": check_answer(task, text),
                                  "reply": text})

        full = select_from_prefill(model, tok, pre, "full", params, kept=T)
        s = time.perf_counter()
        (full_reply,) = greedy_same_question(model, [LoadedContext(bf16_round(full.layers), T)], q_ids,
                                             MAX_NEW_TOKENS, eos)
        timings["answer_full_s"].append(time.perf_counter() - s)
        answer("full", full_reply)
        kept_tokens["full"].append(T)
        if i == 0:
            sizes["full.bf16"] = container_bytes(full.layers, T, "full", "bf16", tmp)[0]

        for ratio in RATIOS:
            kept = max(1, int(T * (1 - ratio)))
            names, contexts = [], []
            for press in PRESSES:
                s = time.perf_counter()
                if press in BASELINES:
                    scores = algorithm_scores(model, tok, pre, press, params, kept)
                    base_s = 0.0
                elif press in KVZIP_FAMILY:
                    scores = derived_priority(kvzip, press, tok, ids, kept, SINK, units)
                    base_s = timings["kvzip_scores_s"][-1]
                else:
                    scores = derived_priority(kvzap, press, tok, ids, kept, SINK, units)
                    base_s = timings["kvzap_scores_s"][-1]
                res = select_from_prefill(model, tok, pre, press, params, kept=kept, scores=scores)
                scoring[f"{press}@{ratio}"].append(base_s + time.perf_counter() - s)
                if answer_pos.numel():
                    digits_kept[f"{press}@{ratio}"].append(
                        float(torch.isin(res.kept_positions, answer_pos).sum()) / (answer_pos.numel() *
                        res.kept_positions.shape[0] * res.kept_positions.shape[1]))
                names.append(f"{press}@{ratio}")
                contexts.append(LoadedContext(bf16_round(res.layers), T))
                kept_tokens[f"{press}@{ratio}"].append(res.kept_tokens)
                if press in int8_of:
                    b8, back = container_bytes(res.layers, T, press, "int8", tmp)
                    names.append(f"{press}+int8@{ratio}")
                    contexts.append(LoadedContext([(k.float(), v.float()) for k, v in back], T))
                    kept_tokens[f"{press}+int8@{ratio}"].append(res.kept_tokens)
                    if i == 0 and press == "kvzip_shared":
                        sizes[f"{ratio}.int8"] = b8
                        sizes[f"{ratio}.bf16"] = container_bytes(res.layers, T, press, "bf16", tmp)[0]
                        sizes[f"{ratio}.f32"] = container_bytes(res.layers, T, press, "f32", tmp)[0]
                        npy = os.path.join(tmp, "legacy.npy")
                        sizes[f"{ratio}.legacy_npy"] = export_legacy_npy(npy, res.layers)
                        os.unlink(npy)
            s = time.perf_counter()
            replies = greedy_same_question(model, contexts, q_ids, MAX_NEW_TOKENS, eos)
            timings[f"answer_batch_s@{ratio}"].append(time.perf_counter() - s)
            timings[f"answer_per_cache_s@{ratio}"].append((time.perf_counter() - s) / len(contexts))
            for name, reply in zip(names, replies):
                answer(name, reply)
        del pre, kvzip, kvzap
        ok = lambda name: int(records[name][-1]["ok"])  # noqa: E731
        line = " ".join(f"{p}={ok(p + '@0.5')}{ok(p + '@0.75')}" for p in ("knorm", "snapkv", "kvzip", "kvzip_shared",
                                                                          "kvzip_span", "kvzip_shared_span",
                                                                          "kvzip_entropy_chunkkv", "kvzap"))
        print(f"[{i + 1}/{len(plan)}] {kind}/{filler} T={T} prefill={timings['prefill_s'][-1]:.1f}s "
              f"kvzip={timings['kvzip_scores_s'][-1]:.1f}s | full={ok('full')} {line} "
              f"({time.perf_counter() - t0:.0f}s)", flush=True)

    n = len(lengths)
    full_ok = {r["task"]: r["ok"] for r in records["full"]}
    n_full = sum(full_ok.values())
    mean_T = statistics.mean(lengths)
    prefill_s = statistics.mean(timings["prefill_s"])

    def summary(recs: list[dict]) -> dict:
        on_full = [r["ok"] for r in recs if full_ok[r["task"]]]
        return {"tasks": len(recs), "correct": sum(r["ok"] for r in recs),
                "accuracy": round(sum(r["ok"] for r in recs) / len(recs), 4) if recs else None,
                "full_correct": len(on_full), "correct_where_full": sum(on_full),
                "share_of_full": round(sum(on_full) / len(on_full), 4) if on_full else None}

    results = []
    print(f"\n{'config':30s} acc    strict/lenient  share of full (n)   kept  scoring s (x prefill)  digits kept")
    for name, recs in records.items():
        press, _, ratio = name.partition("@")
        base = press.removesuffix("+int8")
        dtype = "int8" if press.endswith("+int8") else "bf16"
        row = {"case": name, "algorithm": base, "container_dtype": dtype, "ratio": float(ratio) if ratio else 0.0,
               **summary(recs), "lenient_correct": sum(r["lenient"] for r in recs),
               "kept_tokens_mean": round(statistics.mean(kept_tokens[name]), 1),
               "kept_fraction": round(statistics.mean(kept_tokens[name]) / mean_T, 4),
               "by_kind": {k: summary([r for r in recs if r["kind"] == k]) for k in KINDS},
               "by_size": {z: summary([r for r in recs if r["size"] == z]) for z in ("1k", "2k")
                           if any(r["size"] == z for r in recs)},
               "by_filler": {f: summary([r for r in recs if r["filler"] == f]) for f in FILLER_NAMES},
               "baseline": "full"}
        if name == "full":
            row["container_bytes_task0"] = sizes.get("full.bf16")
            row["seconds_per_task"] = {"prefill": round(prefill_s, 3), "scoring": 0.0,
                                       "answer": round(statistics.mean(timings["answer_full_s"]), 3)}
        else:
            sc = statistics.mean(scoring[f"{base}@{ratio}"])
            row["container_bytes_task0"] = sizes.get(f"{float(ratio)}.{dtype}")
            row["seconds_per_task"] = {"prefill": round(prefill_s, 3), "scoring": round(sc, 3),
                                       "scoring_over_prefill": round(sc / prefill_s, 3),
                                       "answer": round(statistics.mean(timings[f"answer_per_cache_s@{ratio}"]), 3)}
            if digits_kept.get(f"{base}@{ratio}"):
                row["answer_digits_kept"] = round(statistics.mean(digits_kept[f"{base}@{ratio}"]), 4)
        results.append(row)
        share = "-" if row["share_of_full"] is None else f"{row['share_of_full']:.3f}"
        sec = row["seconds_per_task"]
        print(f"{name:30s} {row['accuracy']:.3f}  {row['correct']:3d}/{row['lenient_correct']:3d}        "
              f"{share} ({row['correct_where_full']}/{row['full_correct']})      {row['kept_tokens_mean']:6.0f}  "
              f"{sec['scoring']:6.2f} ({sec.get('scoring_over_prefill', 0):.2f})        "
              f"{row.get('answer_digits_kept', '')}")

    by_case = {r["case"]: r for r in results}

    def share(press: str, ratio: float) -> float:
        v = by_case[f"{press}@{ratio}"]["share_of_full"]
        return -1.0 if v is None else v

    best = max(PRESSES, key=lambda p: (share(p, 0.75), share(p, 0.5)))
    targets = [target("tasks_run", n, ">=", len(plan), stopped_early),
               target("full_answers_at_least_10_tasks", n_full, ">=", 10,
                      None if n_full >= 10 else "too few tasks answered by full for shares to mean much")]
    for ratio, goal in ((0.5, 0.9), (0.75, 0.8)):
        r = by_case[f"{best}@{ratio}"]
        targets.append(target(f"best_press_share_of_full_at_{ratio} ({best}, "
                              f"{r['correct_where_full']}/{r['full_correct']})",
                              r["share_of_full"], ">=", goal, None if r["share_of_full"] is not None else "full answered none"))
    knorm75 = by_case["knorm@0.75"]
    best75 = by_case[f"{best}@0.75"]
    if knorm75["correct_where_full"] > 0:
        targets.append(target(f"best_press_over_knorm_at_0.75 ({best})",
                              round(best75["correct_where_full"] / knorm75["correct_where_full"], 4), ">=", 2.0))
    else:
        targets.append(target(f"best_press_over_knorm_at_0.75 ({best})",
                              float(best75["correct_where_full"]), ">=", 2.0,
                              "knorm answered none of full's tasks; value is a lower bound with knorm credited one "
                              "correct task"))
    cost = best75["seconds_per_task"]["scoring_over_prefill"]
    targets.append(target(f"best_press_scoring_over_prefill ({best})", cost, "<=", 2.0,
                          None if cost <= 2.0 else "see docs/benchmarks.md (quality): what the scoring pays for"))
    for ratio in RATIOS:
        legacy = sizes[f"{ratio}.legacy_npy"]
        targets.append(target(f"bf16_bytes_over_legacy_npy_at_{ratio}", round(sizes[f"{ratio}.bf16"] / legacy, 5),
                              "<=", 0.505))
        targets.append(target(f"int8_bytes_over_legacy_npy_at_{ratio}", round(sizes[f"{ratio}.int8"] / legacy, 5),
                              "<=", 0.255))
    mean_seconds = {k: round(statistics.mean(v), 3) for k, v in timings.items()}
    print("\nbest exportable press:", best)
    print("bytes (task 0):", sizes)
    print("mean seconds:", mean_seconds)
    for t in targets:
        print(("MET   " if t["met"] else "MISSED"), t["name"], t["value"], t["op"], t["target"])

    plot = None
    if not quick:
        plot = str(ROOT / "docs" / "quality.png")
        draw(results, plot, n, n_full, mean_T)
    report("quality", quick, results, targets, tasks=n, full_answered=n_full, mean_context_tokens=round(mean_T, 1),
           kinds=list(KINDS), fillers=list(FILLER_NAMES), lengths={"1k": tok1k, "2k": tok2k, "n_1k": n1k, "n_2k": n2k},
           checker="check_answer_strict (first number is the answer, no other number)",
           model="SmolLM2-135M-Instruct (GGUF Q4_1, fp32 on CPU, 1 thread)", best_press=best, sizes_task0=sizes,
           mean_seconds=mean_seconds, model_load_s=round(load_s, 1),
           kvzap_fit={"training_contexts": n_fit, "seconds": round(fit_s, 1), "seeds": "90000+", "tokens": tok1k,
                      "online": "each task is scored by a ridge fit on the training contexts plus the tasks "
                                "before it (never itself); fitting is not counted in kvzap's scoring time"},
           kvpress_pipeline_check=check, plot=plot,
           per_task=[{"task": r["task"], "kind": r["kind"], "filler": r["filler"], "size": r["size"], "tokens": lengths[k],
                      "correct": sorted(name for name, recs in records.items() if recs[k]["ok"])}
                     for k, r in enumerate(records["full"])])


def draw(results: list[dict], path: str, n: int, n_full: int, mean_T: float) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9.5, 5))
    series = defaultdict(list)
    for r in results:
        if r["case"] != "full" and r["container_dtype"] == "bf16" and r["share_of_full"] is not None:
            series[r["algorithm"]].append((r["kept_fraction"], r["share_of_full"]))
    for name, pts in sorted(series.items()):
        pts = sorted(pts) + [(1.0, 1.0)]
        style = "-" if name.startswith(("kvzip", "kvzap")) else ":"
        ax.plot([p[0] for p in pts], [p[1] for p in pts], style, marker="o", label=name)
    ax.set_xlabel("kept fraction of context tokens")
    ax.set_ylabel(f"share of full's correct answers (n = {n_full})")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"SmolLM2-135M, {n} widened tasks (full answers {n_full}), ~{mean_T:.0f} tokens, strict checker")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    main()
